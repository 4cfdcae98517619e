"""Settings fail with one clear line and exit status 2; the CLI migrates and seeds."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from bot.core.settings import SettingsError, load_settings
from bot.runtime.cli import main


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No .env and no Slack variables from the machine running the tests."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL",
                 "PORT", "HERALD_TIMEZONE", "HERALD_ADMINS", "HERALD_TEMPLATES_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_nothing_set():
    settings = load_settings({})
    assert settings.database_url == "sqlite:///herald.db"
    assert (settings.port, settings.timezone, settings.slack_api_url) == (3000, "UTC", "https://slack.com/api/")


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PORT", "eighty", "PORT is invalid: expected a number from 1 to 65535"),
        ("HERALD_TIMEZONE", "Mars/Olympus", "HERALD_TIMEZONE is invalid: expected an IANA name"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN is invalid: expected a token starting with xoxb-"),
        ("DATABASE_URL", "mysql://db/herald", "DATABASE_URL is invalid"),
        ("HERALD_ADMINS", "U012AB3CD, bob", "HERALD_ADMINS is invalid"),
        ("SLACK_API_URL", "slack.internal", "SLACK_API_URL is invalid"),
    ],
)
def test_invalid_setting_names_the_variable_and_exits_2(monkeypatch, capsys, name, value, expected):
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError, match=expected):
        load_settings()
    assert main(["migrate"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("herald: " + expected) and err.count("\n") == 1 and "Traceback" not in err


def test_serve_without_signing_secret_says_what_is_missing(monkeypatch, capsys):
    monkeypatch.setenv("SLACK_BOT_TOKEN", "xoxb-1")
    assert main(["serve"]) == 2
    assert capsys.readouterr().err == "herald: SLACK_SIGNING_SECRET is not set: expected the app's signing secret.\n"


def test_postgres_urls_use_the_psycopg_driver():
    assert load_settings({"DATABASE_URL": "postgres://u@h/db"}).database_url == "postgresql+psycopg://u@h/db"


def test_migrate_and_seed_build_the_demo_store(tmp_path, capsys):
    assert main(["migrate"]) == 0
    assert {"launch", "checklist_item", "launch_change"} <= set(inspect(create_engine("sqlite:///herald.db")).get_table_names())
    assert main(["seed", "--demo"]) == 0
    assert main(["seed", "--demo"]) == 0
    out = capsys.readouterr().out
    assert "added 8 demo launches" in out and "added 0 demo launches" in out
