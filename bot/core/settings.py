"""Herald's settings, read once from the environment and `.env`."""

from __future__ import annotations

import os
import re
import socket
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dotenv import load_dotenv
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.core.roles import Roles
from bot.core.slack_ids import is_user_id, is_usergroup_id

SLACK_API_URL_DEFAULT = "https://slack.com/api/"


class SettingsError(Exception):
    """A setting is missing or malformed; the message names the variable and what it expects."""


@dataclass(frozen=True)
class Settings:
    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    slack_api_url: str = SLACK_API_URL_DEFAULT
    database_url: str = "sqlite:///herald.db"
    # The SQLite file Herald keeps when DATABASE_URL is unset; its folder is made on first use.
    default_store: Path | None = None
    port: int = 3000
    timezone: str = "UTC"
    admins: frozenset[str] = field(default_factory=frozenset)
    announcers: frozenset[str] = field(default_factory=frozenset)
    templates_override: Path | None = None
    github_webhook_secret: str | None = None
    webhook_token: str | None = None
    instance_id: str = "herald"  # names this process's leases, so that its next start takes them back at once
    signoff_nudge_days: tuple[int, ...] = (5, 2)  # days before a target an unanswered sign-off is asked again

    @property
    def roles(self) -> Roles:
        """The roles as configured; user groups count once their members are known (Herald.roles)."""
        return Roles(self.admins, self.announcers)

    @property
    def announcer_groups(self) -> frozenset[str]:
        return frozenset(a for a in self.announcers if is_usergroup_id(a))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def require_bot_token(self, why: str) -> None:
        """A command that must reach Slack refuses before it changes anything; `why` says what to do instead."""
        if not self.bot_token:
            raise SettingsError(f"SLACK_BOT_TOKEN is not set: {why}")

    def require_http(self) -> None:
        """HTTP mode needs a bot token and the signing secret Slack signs requests with."""
        _require("SLACK_BOT_TOKEN", self.bot_token, "a bot token starting with xoxb-")
        _require("SLACK_SIGNING_SECRET", self.signing_secret, "the app's signing secret")

    def require_socket(self) -> None:
        """Socket Mode needs a bot token and an app-level token instead of a public URL."""
        _require("SLACK_BOT_TOKEN", self.bot_token, "a bot token starting with xoxb-")
        _require("SLACK_APP_TOKEN", self.app_token, "an app-level token starting with xapp-")


def load_settings(environ: dict[str, str] | None = None) -> Settings:
    """Read settings from `environ` (default: the process environment after loading `.env`)."""
    if environ is None:
        load_dotenv(Path.cwd() / ".env")
        environ = dict(os.environ)
    env = {key: value.strip() for key, value in environ.items() if value.strip()}
    default_store = None if "DATABASE_URL" in env else default_store_path(env)
    return Settings(
        bot_token=_token(env, "SLACK_BOT_TOKEN", "xoxb-"),
        signing_secret=env.get("SLACK_SIGNING_SECRET"),
        app_token=_token(env, "SLACK_APP_TOKEN", "xapp-"),
        slack_api_url=_api_url(env.get("SLACK_API_URL", SLACK_API_URL_DEFAULT)),
        database_url=_database_url(env.get("DATABASE_URL", f"sqlite:///{default_store}")),
        default_store=default_store,
        port=_port(env.get("PORT", "3000")),
        timezone=_timezone(env.get("HERALD_TIMEZONE", "UTC")),
        admins=_user_ids("HERALD_ADMINS", env.get("HERALD_ADMINS", "")),
        announcers=_user_ids("HERALD_ANNOUNCERS", env.get("HERALD_ANNOUNCERS", ""), groups=True),
        templates_override=_templates_dir(env.get("HERALD_TEMPLATES_DIR")),
        github_webhook_secret=env.get("GITHUB_WEBHOOK_SECRET"),
        webhook_token=env.get("HERALD_WEBHOOK_TOKEN"),
        # Host and port: a restarted replica comes back with both, and two replicas never share them.
        instance_id=env.get("HERALD_INSTANCE_ID", f"{socket.gethostname()}:{env.get('PORT', '3000')}")[:100],
        signoff_nudge_days=_days_before("HERALD_SIGNOFF_NUDGE_DAYS", env.get("HERALD_SIGNOFF_NUDGE_DAYS", "5,2")),
    )


def default_store_path(env: dict[str, str]) -> Path:
    """One store per user, whatever the working folder: `herald/herald.db` in the XDG data directory."""
    data_home = Path(env.get("XDG_DATA_HOME", ""))
    if not data_home.is_absolute():  # unset, or relative, which the XDG spec says to ignore
        data_home = Path(env.get("HOME") or Path.home()) / ".local" / "share"
    return data_home / "herald" / "herald.db"


def demo_store_path(default_store: Path) -> Path:
    """The console's own demo store, beside the default store and never the same file: `herald/demo.db`."""
    return default_store.with_name("demo.db")


def _require(name: str, value: str | None, expected: str) -> None:
    if not value:
        raise SettingsError(f"{name} is not set: expected {expected}.")


def _token(env: dict[str, str], name: str, prefix: str) -> str | None:
    value = env.get(name)
    if value is not None and not value.startswith(prefix):
        raise SettingsError(f"{name} is invalid: expected a token starting with {prefix}")
    return value


def _api_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise SettingsError(f"SLACK_API_URL is invalid: expected an http(s) URL, got {value!r}.")
    return value if value.endswith("/") else value + "/"


def _database_url(value: str) -> str:
    if value.startswith("postgres://"):  # Heroku-style URLs; SQLAlchemy wants the full name
        value = "postgresql://" + value.removeprefix("postgres://")
    if value.startswith("postgresql://"):
        value = "postgresql+psycopg://" + value.removeprefix("postgresql://")
    expected = "DATABASE_URL is invalid: expected sqlite:///PATH or postgresql://USER@HOST/DB"
    if not value.startswith(("sqlite:", "postgresql+psycopg:")):
        raise SettingsError(f"{expected}.")
    try:
        make_url(value).port  # noqa: B018 - reading the port is what checks it
    except (ArgumentError, ValueError):
        raise SettingsError(f"{expected}; {_without_password(value)!r} does not parse.") from None
    return value


def _without_password(url: str) -> str:
    """The URL for an error message, with whatever sits between `://user:` and `@` masked."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _port(value: str) -> int:
    if not value.isdigit() or not 0 < int(value) < 65536:
        raise SettingsError(f"PORT is invalid: expected a number from 1 to 65535, got {value!r}.")
    return int(value)


def _timezone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError):
        raise SettingsError(
            f"HERALD_TIMEZONE is invalid: expected an IANA name like Europe/Berlin, got {value!r}."
        ) from None
    return value


def _user_ids(name: str, value: str, *, groups: bool = False) -> frozenset[str]:
    ids = frozenset(part.strip() for part in value.replace(";", ",").split(",") if part.strip())
    bad = sorted(a for a in ids if not (is_user_id(a) or groups and is_usergroup_id(a)))
    if bad:
        expected = "Slack user IDs like U012AB3CD or user group IDs like S0614TZR7" if groups else \
            "Slack user IDs like U012AB3CD"
        raise SettingsError(f"{name} is invalid: expected comma-separated {expected}, got {bad[0]!r}.")
    return ids


def _days_before(name: str, value: str) -> tuple[int, ...]:
    parts = [part.strip() for part in value.split(",") if part.strip()]
    if not parts or not all(part.isdigit() and 0 < int(part) <= 60 for part in parts):
        raise SettingsError(f"{name} is invalid: expected days before a target from 1 to 60, like 5,2; got {value!r}.")
    return tuple(sorted({int(part) for part in parts}, reverse=True))


def _templates_dir(value: str | None) -> Path | None:
    if value is None:
        return None
    path = Path(value)
    if not path.is_dir():
        raise SettingsError(f"HERALD_TEMPLATES_DIR is invalid: expected a folder, got {value!r}.")
    return path
