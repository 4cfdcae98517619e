"""Settings fail with one clear line and exit status 2; the CLI migrates and seeds one store per user."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect

from bot.core.settings import SettingsError, load_settings
from bot.runtime.cli import main


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    """No .env, no Slack variables and no store from the machine running the tests: HOME is a temporary folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    for name in ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "SLACK_API_URL", "DATABASE_URL",
                 "PORT", "HERALD_TIMEZONE", "HERALD_ADMINS", "HERALD_TEMPLATES_DIR", "XDG_DATA_HOME"):
        monkeypatch.delenv(name, raising=False)


def test_defaults_need_nothing_set():
    settings = load_settings({"HOME": "/home/ann"})
    assert settings.database_url == "sqlite:////home/ann/.local/share/herald/herald.db"
    assert (settings.port, settings.timezone, settings.slack_api_url) == (3000, "UTC", "https://slack.com/api/")


def test_the_default_store_follows_xdg_data_home_and_database_url_replaces_it():
    assert load_settings({"HOME": "/home/ann", "XDG_DATA_HOME": "/data"}).database_url == "sqlite:////data/herald/herald.db"
    assert load_settings({"HOME": "/home/ann", "XDG_DATA_HOME": "relative"}).database_url == \
        "sqlite:////home/ann/.local/share/herald/herald.db"  # the XDG spec ignores relative paths
    given = load_settings({"HOME": "/home/ann", "DATABASE_URL": "sqlite:///here.db"})
    assert (given.database_url, given.default_store) == ("sqlite:///here.db", None)


@pytest.mark.parametrize(
    ("name", "value", "expected"),
    [
        ("PORT", "eighty", "PORT is invalid: expected a number from 1 to 65535"),
        ("HERALD_TIMEZONE", "Mars/Olympus", "HERALD_TIMEZONE is invalid: expected an IANA name"),
        ("SLACK_BOT_TOKEN", "xoxp-user-token", "SLACK_BOT_TOKEN is invalid: expected a token starting with xoxb-"),
        ("DATABASE_URL", "mysql://db/herald", "DATABASE_URL is invalid"),
        ("DATABASE_URL", "postgresql://ann:secret@db:port/herald", "DATABASE_URL is invalid: expected sqlite"),
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


def test_a_bad_database_url_does_not_echo_its_password(monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", "postgresql://ann:secret@db:port/herald")
    assert main(["migrate"]) == 2
    assert "secret" not in capsys.readouterr().err


def test_migrate_and_seed_build_the_demo_store_in_the_users_data_folder(tmp_path, capsys):
    store = tmp_path / "home" / ".local" / "share" / "herald" / "herald.db"
    assert main(["migrate"]) == 0
    assert capsys.readouterr().out == f"herald: database at sqlite:///{store} is up to date\n"
    assert {"launch", "checklist_item", "launch_change"} <= set(inspect(create_engine(f"sqlite:///{store}")).get_table_names())
    assert main(["seed"]) == 0
    assert capsys.readouterr().out == f"herald: added 8 demo launches to sqlite:///{store}\n"
    assert not (tmp_path / "herald.db").exists()


def test_seeding_twice_adds_nothing_the_second_time_and_demo_is_still_accepted(capsys):
    assert main(["seed", "--demo"]) == 0
    capsys.readouterr()
    assert main(["seed"]) == 0
    assert capsys.readouterr().out.startswith("herald: nothing new added: the demo launches are already in sqlite:///")


def test_every_working_folder_uses_the_same_store(monkeypatch, tmp_path, capsys):
    (tmp_path / "elsewhere").mkdir()
    assert main(["seed"]) == 0
    monkeypatch.chdir(tmp_path / "elsewhere")
    capsys.readouterr()

    assert main(["seed"]) == 0

    assert "nothing new added" in capsys.readouterr().out
    assert list((tmp_path / "elsewhere").iterdir()) == []
