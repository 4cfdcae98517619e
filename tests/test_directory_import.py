"""`herald import owners`: every format lands in the directory, contacts become Slack users once,
bad rows are reported as file:line and block the write, re-imports change nothing, --prune prunes.

Each test runs the real CLI (`bot.cli.main`) in a worker thread, since main() runs its own event loop,
against the run's database and the fake Slack, and reads the stored rows back with a Session.
"""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pytest
from sqlmodel import Session, select

from bot.directory.models import Component, Contact, Team, TeamMember
from bot.runtime.cli import main
from tests.support.factories import add_component
from tests.support.fake_slack import FakeSlack
from tests.support.slack_requests import FIXTURES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
BACKSTAGE = FIXTURES / "backstage"
NODEJS = FIXTURES / "codeowners" / "nodejs-node.CODEOWNERS"
CPYTHON = FIXTURES / "codeowners" / "python-cpython.CODEOWNERS"
LOOKUPS = ("users.list", "users.lookupByEmail")


@dataclass(frozen=True)
class Run:
    code: int
    out: str
    err: str


@dataclass(frozen=True)
class Entry:
    """A stored component with its team's name and its contacts' Slack user IDs (None: not in Slack)."""

    component: Component
    team: str | None
    primary: str | None
    backup: str | None


@pytest.fixture
def herald_import(monkeypatch, tmp_path, capsys, database_url, slack: FakeSlack, engine):
    """`herald import owners ARGS…` in tmp_path (so no .env is read), with Slack at the fake."""
    monkeypatch.chdir(tmp_path)
    for name in ("SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "HERALD_ADMINS", "HERALD_TEMPLATES_DIR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("DATABASE_URL", database_url)
    monkeypatch.setenv("SLACK_BOT_TOKEN", slack.bot_token)
    monkeypatch.setenv("SLACK_API_URL", slack.base_url)

    async def run(*args: str | Path) -> Run:
        capsys.readouterr()
        code = await asyncio.to_thread(main, ["import", "owners", *map(str, args)])
        out, err = capsys.readouterr()
        return Run(code, out, err)

    return run


@pytest.fixture
def workspace(slack: FakeSlack) -> FakeSlack:
    """The people the example owners files name, as Slack knows them."""
    slack.add_user("U0ANN", "ann", email="ann@example.com")
    slack.add_user("U0AVA", "ava", email="ava@example.com")
    slack.add_user("U0BEN", "ben")
    slack.add_user("U0CHIARA", "chiara")
    slack.add_user("U0DEVON", "devon", email="Devon@Example.com")
    slack.add_user("U0EMI", "emi", email="emi@example.com")
    slack.add_user("U0MOBILE1", "mo")
    return slack


def stored(engine) -> dict[str, Entry]:
    with Session(engine) as session:
        teams = {team.id: team.name for team in session.exec(select(Team))}
        people = {contact.id: contact.slack_user_id for contact in session.exec(select(Contact))}
        return {
            c.name: Entry(c, teams.get(c.team_id), people.get(c.primary_contact_id), people.get(c.backup_contact_id))
            for c in session.exec(select(Component))
        }


def team_members(engine, name: str) -> set[str | None]:
    with Session(engine) as session:
        return set(session.exec(
            select(Contact.slack_user_id).join(TeamMember, TeamMember.contact_id == Contact.id)
            .join(Team, Team.id == TeamMember.team_id).where(Team.name == name)
        ).all())


def row_counts(engine) -> tuple[int, int, int, int]:
    with Session(engine) as session:
        return tuple(len(session.exec(select(table)).all()) for table in (Component, Team, Contact, TeamMember))


def last_changed(engine) -> dict[str, datetime]:
    with Session(engine) as session:
        return {f"component {c.key}": c.updated_at for c in session.exec(select(Component))} | {
            f"team {t.key}": t.updated_at for t in session.exec(select(Team))}


def lookups(slack: FakeSlack) -> int:
    return sum(len(slack.calls_to(method)) for method in LOOKUPS)


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


# Formats


async def test_yaml_and_csv_examples_import_with_contacts_resolved_to_slack_users(herald_import, workspace, engine):
    run = await herald_import(EXAMPLES / "owners.yaml", EXAMPLES / "owners.csv")

    assert run.code == 0, run.err
    assert "herald: 7 added, 0 updated, 0 unchanged, 0 removed; 4 teams; 8 contacts looked up in Slack, 0 not found" \
        in run.out
    entries = stored(engine)
    checkout = entries["checkout-api"]
    assert (checkout.team, checkout.primary, checkout.backup) == ("payments", "U0AVA", "U0BEN")
    assert checkout.component.aliases == ["checkout", "payments api"]
    assert checkout.component.channel == "#payments"
    assert checkout.component.runbook_url == "https://wiki.example.com/runbooks/checkout-api"
    assert checkout.component.source == str(EXAMPLES / "owners.yaml")
    assert (entries["invoicing"].primary, entries["signup-flow"].primary) == ("U0CHIARA", "U0DEVON")
    search = entries["search"]  # from the CSV: `;`-separated lists, an @handle found by Slack name
    assert (search.team, search.primary, search.backup) == ("discovery", "U0ANN", "U0BOB")
    assert search.component.aliases == ["find", "autocomplete"] and search.component.tags == ["tier-1", "discovery"]
    assert (entries["mobile-app"].primary, entries["mobile-app"].backup) == ("U0MOBILE1", "U0ANN")
    assert entries["pricing-page"].team is None
    assert team_members(engine, "payments") == {"U0AVA", "U0BEN", "U0CHIARA"}
    assert team_members(engine, "growth") == {"U0DEVON", "U0EMI"}


async def test_backstage_catalog_imports_components_with_their_teams_and_contacts(herald_import, slack, engine):
    for user_id, email in (("U0GUEST", "guest@example.com"), ("U0FRANK", "frank-tiernan@example.com"),
                           ("U0BREANNA", "breanna-davison@example.com"), ("U0JANELLE", "janelle-dawe@example.com"),
                           ("U0NIGEL", "nigel-manning@example.com")):
        slack.add_user(user_id, email.split("@")[0], email=email)

    run = await herald_import(BACKSTAGE)

    assert run.code == 0, run.err
    entries = stored(engine)
    assert {"artist-lookup", "petstore", "podcast-api", "audio-playback", "spotify", "artists-db"} <= set(entries)
    assert (entries["artist-lookup"].component.kind, entries["artist-lookup"].team) == ("component", "team-a")
    assert (entries["podcast"].component.kind, entries["podcast"].team) == ("system", "team-b")
    assert (entries["spotify"].component.kind, entries["artists-db"].component.kind) == ("api", "resource")
    # Owners that are Users become the primary contact, found in Slack by their catalog e-mail.
    assert (entries["searcher"].team, entries["searcher"].primary) == (None, "U0GUEST")  # user:guest
    assert entries["playback-order"].primary == "U0GUEST"  # a bare user name
    assert (entries["playback"].component.kind, entries["playback"].primary) == ("domain", "U0FRANK")
    assert entries["artists"].component.aliases == ["Artists"]  # metadata.title
    assert entries["petstore"].component.repo_url == "https://github.com/swagger-api/swagger-petstore"
    assert team_members(engine, "team-a") == {"U0BREANNA", "U0JANELLE", "U0NIGEL", "U0GUEST"}
    with Session(engine) as session:
        assert session.exec(select(Team.display_name).where(Team.name == "team-c")).one() == "Team C"
        unresolved = session.exec(select(Contact.ref).where(Contact.slack_user_id == None)).all()  # noqa: E711
    assert "amelia-park@example.com" in unresolved
    assert f"contacts looked up in Slack, {len(unresolved)} not found" in run.out
async def test_a_backstage_api_may_share_its_name_with_the_component_that_provides_it(herald_import, engine):
    run = await herald_import(BACKSTAGE)

    assert run.code == 0, run.err
    with Session(engine) as session:
        kinds = session.exec(select(Component.kind).where(Component.name == "wayback-search")).all()
    assert sorted(kinds) == ["api", "component"]


async def test_nodejs_codeowners_imports_each_path_with_its_first_team(herald_import, engine):
    run = await herald_import(NODEJS)

    assert run.code == 0, run.err
    assert "151 added" in run.out and "31 teams" in run.out
    entries = stored(engine)
    assert len(entries) == 151
    assert (entries["/lib/stream.js"].component.kind, entries["/lib/stream.js"].team) == ("path", "@nodejs/streams")
    assert entries["/lib/https.js"].team == "@nodejs/crypto"
    assert entries["*.gyp"].team == "@nodejs/gyp"
    assert {"/lib/_stream*", "/lib/stream/*"} <= set(entries)  # paths are kept apart, as written


async def test_cpython_codeowners_resolves_people_by_handle_and_leaves_unowned_paths_out(herald_import, slack, engine):
    slack.add_user("U0RAYMOND", "rhettinger")
    slack.add_user("U0ADAM", "aa-turner")

    run = await herald_import(CPYTHON)

    assert run.code == 0, run.err
    entries = stored(engine)
    assert entries["Objects/set*"].primary == "U0RAYMOND"
    assert entries["Lib/compression/zstd/"].primary == "U0ADAM"  # written @AA-Turner: handles ignore case
    assert entries["**/*mail*"].team == "@python/email-team"
    assert ".mailmap" not in entries and "Modules/clinic/" not in entries  # exclusions own nothing
    with Session(engine) as session:
        ezio = session.exec(select(Contact).where(Contact.ref == "@ezio-melotti")).one()
    assert ezio.slack_user_id is None
    assert "looked up in Slack" in run.out and "Slack, 0 not found" not in run.out


# Contacts


async def test_contacts_are_looked_up_in_slack_once_then_read_from_the_store(herald_import, workspace, engine):
    await herald_import(EXAMPLES / "owners.yaml")
    assert workspace.calls_to("users.list")
    before = lookups(workspace)

    again = await herald_import(EXAMPLES / "owners.yaml")

    assert again.code == 0, again.err
    assert lookups(workspace) == before
    assert stored(engine)["checkout-api"].primary == "U0AVA"


async def test_an_email_not_in_slack_is_reported_and_listed_as_a_gap_by_whoowns_stale(
    herald_import, workspace, sender, tmp_path
):
    write(tmp_path, "owners.yaml", "components:\n  - name: Docs site\n    primary: ghost@example.com\n")

    run = await herald_import("owners.yaml")

    assert run.code == 0, run.err
    assert "1 added" in run.out and "1 contact looked up in Slack, 1 not found" in run.out
    assert [call.args["email"] for call in workspace.calls_to("users.lookupByEmail")] == ["ghost@example.com"]
    answer = await sender.command("stale", command="/whoowns")
    assert "Docs site — ghost@example.com is not in Slack" in answer.text


# All or nothing


BROKEN_YAML = """components:
  - name: search
    primary: @ann
"""
BAD_CSV = """name,primary,runbook
pricing-page,emi@example.com,
recommendations,@bob,wiki/recs
"""
GOOD_YAML = """components:
  - name: checkout-api
    primary: ava@example.com
"""


async def test_bad_rows_anywhere_in_a_batch_are_each_reported_and_nothing_is_written(
    herald_import, workspace, engine, tmp_path
):
    for name, text in (("good.yaml", GOOD_YAML), ("broken.yaml", BROKEN_YAML), ("bad.csv", BAD_CSV)):
        write(tmp_path, name, text)

    run = await herald_import("good.yaml", "broken.yaml", "bad.csv")

    assert run.code == 1
    assert "2 invalid rows; nothing was imported" in run.err
    assert "broken.yaml:3: not valid YAML: found character '@' that cannot start any token" in run.err
    assert "bad.csv:3: runbook 'wiki/recs' is not an http(s) URL" in run.err
    assert row_counts(engine) == (0, 0, 0, 0)


async def test_a_rejected_batch_leaves_what_was_imported_before_untouched(herald_import, workspace, engine, tmp_path):
    write(tmp_path, "good.yaml", GOOD_YAML)
    await herald_import("good.yaml")
    before = stored(engine)["checkout-api"]
    write(tmp_path, "good.yaml", GOOD_YAML.replace("ava@", "emi@") + "  - name: orders\n")
    write(tmp_path, "broken.yaml", BROKEN_YAML)

    run = await herald_import("good.yaml", "broken.yaml")

    assert run.code == 1
    entries = stored(engine)
    assert set(entries) == {"checkout-api"}
    assert (entries["checkout-api"].primary, entries["checkout-api"].component.updated_at) == (
        "U0AVA", before.component.updated_at)


async def test_skip_invalid_writes_the_valid_rows_and_lists_the_skipped_ones(herald_import, workspace, engine, tmp_path):
    for name, text in (("good.yaml", GOOD_YAML), ("broken.yaml", BROKEN_YAML), ("bad.csv", BAD_CSV)):
        write(tmp_path, name, text)

    run = await herald_import("good.yaml", "broken.yaml", "bad.csv", "--skip-invalid")

    assert run.code == 0, run.err
    assert "skipped broken.yaml:3: not valid YAML" in run.err
    assert "skipped bad.csv:3: runbook 'wiki/recs' is not an http(s) URL" in run.err
    assert "herald: 2 added" in run.out
    entries = stored(engine)
    assert set(entries) == {"checkout-api", "pricing-page"}
    assert (entries["checkout-api"].primary, entries["pricing-page"].primary) == ("U0AVA", "U0EMI")
async def test_values_longer_than_the_store_holds_are_reported_as_file_line(herald_import, engine, tmp_path):
    write(tmp_path, "long.yaml", f"components:\n  - name: gamma\n    kind: {'k' * 50}\n")

    run = await herald_import("long.yaml")

    assert run.code == 1
    assert "long.yaml:2: kind" in run.err
    assert row_counts(engine) == (0, 0, 0, 0)


async def test_a_missing_path_is_named_and_exits_2(herald_import, engine):
    run = await herald_import("no-such-owners.yaml")

    assert run.code == 2
    assert "no such file or folder: no-such-owners.yaml" in run.err


# Re-importing and pruning


async def test_reimporting_the_same_files_changes_nothing(herald_import, workspace, engine):
    files = (EXAMPLES / "owners.yaml", EXAMPLES / "owners.csv")
    await herald_import(*files)
    before = last_changed(engine)

    run = await herald_import(*files)

    assert run.code == 0, run.err
    assert "herald: 0 added, 0 updated, 7 unchanged, 0 removed" in run.out
    assert last_changed(engine) == before


async def test_reimporting_an_edited_file_updates_only_the_changed_entry(herald_import, workspace, engine, tmp_path):
    owners = tmp_path / "owners.yaml"
    shutil.copy(EXAMPLES / "owners.yaml", owners)
    await herald_import(owners)
    before = last_changed(engine)
    owners.write_text(owners.read_text().replace("backup: emi@example.com", "backup: ava@example.com"))

    run = await herald_import(owners)

    assert "herald: 0 added, 1 updated, 2 unchanged" in run.out
    after = last_changed(engine)
    assert [key for key in after if after[key] != before[key]] == ["component signup-flow"]
    assert stored(engine)["signup-flow"].backup == "U0AVA"


THREE = "components:\n  - name: alpha\n    primary: U0ANN\n  - name: beta\n    primary: U0ANN\n" \
        "  - name: gamma\n    primary: U0BOB\n"
TWO = "components:\n  - name: alpha\n    primary: U0ANN\n  - name: beta\n    primary: U0ANN\n"


async def test_without_prune_entries_dropped_from_the_files_stay(herald_import, engine, tmp_path):
    write(tmp_path, "owners.yaml", THREE)
    await herald_import("owners.yaml")
    write(tmp_path, "owners.yaml", TWO)

    run = await herald_import("owners.yaml")

    assert "0 added, 0 updated, 2 unchanged, 0 removed" in run.out
    assert set(stored(engine)) == {"alpha", "beta", "gamma"}


async def test_prune_removes_entries_no_longer_in_the_files_but_keeps_those_made_in_slack(
    herald_import, engine, tmp_path
):
    write(tmp_path, "owners.yaml", THREE)
    await herald_import("owners.yaml")
    with Session(engine) as session:
        add_component(session, "Flux capacitor", primary="U0BOB", source=None)  # claimed in Slack
    write(tmp_path, "owners.yaml", TWO)

    run = await herald_import("owners.yaml", "--prune")

    assert run.code == 0, run.err
    assert "0 added, 0 updated, 2 unchanged, 1 removed" in run.out
    assert set(stored(engine)) == {"alpha", "beta", "Flux capacitor"}
async def test_prune_keeps_an_entry_whose_row_was_skipped_as_invalid(herald_import, engine, tmp_path):
    write(tmp_path, "owners.yaml", TWO)
    await herald_import("owners.yaml")
    write(tmp_path, "owners.yaml", TWO.replace("name: beta\n    primary: U0ANN", "name: beta\n    primary: ann"))

    run = await herald_import("owners.yaml", "--skip-invalid", "--prune")

    assert "skipped owners.yaml:4: primary 'ann'" in run.err
    assert set(stored(engine)) == {"alpha", "beta"}


async def test_prune_after_another_file_removes_none_of_that_files_entries(herald_import, workspace, engine):
    await herald_import(EXAMPLES / "owners.yaml")
    yaml_entries = set(stored(engine))

    run = await herald_import(NODEJS, "--prune")

    assert run.code == 0, run.err
    assert ", 0 removed;" in run.out
    assert yaml_entries <= set(stored(engine))


async def test_prune_removes_exactly_the_entry_dropped_from_one_of_several_files(herald_import, engine, tmp_path):
    write(tmp_path, "owners.yaml", THREE)
    shutil.copy(NODEJS, tmp_path / "CODEOWNERS")
    await herald_import("owners.yaml", "CODEOWNERS")
    before = set(stored(engine))
    write(tmp_path, "owners.yaml", TWO)

    run = await herald_import("owners.yaml", "--prune")

    assert "0 added, 0 updated, 2 unchanged, 1 removed" in run.out
    assert set(stored(engine)) == before - {"gamma"}


async def test_pruning_a_folder_removes_the_entries_of_a_file_deleted_from_it(herald_import, engine, tmp_path):
    (tmp_path / "owners").mkdir()
    write(tmp_path / "owners", "a.yaml", TWO)
    gone = write(tmp_path / "owners", "b.yaml", "components:\n  - name: gamma\n    primary: U0BOB\n")
    write(tmp_path, "elsewhere.yaml", "components:\n  - name: delta\n    primary: U0BOB\n")
    await herald_import("owners", "elsewhere.yaml")
    gone.unlink()

    run = await herald_import("owners", "--prune")

    assert "1 removed" in run.out
    assert set(stored(engine)) == {"alpha", "beta", "delta"}


async def test_the_source_of_an_entry_is_the_files_absolute_path_from_any_working_folder(
    herald_import, engine, tmp_path, monkeypatch
):
    write(tmp_path, "owners.yaml", THREE)
    await herald_import("owners.yaml")
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    write(tmp_path, "owners.yaml", TWO)

    run = await herald_import("../owners.yaml", "--prune")

    assert "1 removed" in run.out
    assert {entry.component.source for entry in stored(engine).values()} == {str(tmp_path / "owners.yaml")}


# Dry runs


async def test_a_dry_run_writes_nothing_asks_slack_nothing_and_counts_as_the_real_run_does(
    herald_import, workspace, engine, tmp_path
):
    owners = tmp_path / "owners.yaml"
    shutil.copy(EXAMPLES / "owners.yaml", owners)
    await herald_import(owners, EXAMPLES / "owners.csv")
    owners.write_text(owners.read_text().replace("backup: emi@example.com", "backup: ava@example.com")
                      .replace("  - name: invoicing", "  - name: receipts"))
    before, asked = (row_counts(engine), last_changed(engine)), lookups(workspace)

    dry = await herald_import(owners, "--prune", "--dry-run")

    assert dry.code == 0, dry.err
    assert (row_counts(engine), last_changed(engine)) == before
    assert lookups(workspace) == asked
    assert "would add:\n  receipts\n" in dry.out
    assert "would change:\n  signup-flow: backup emi@example.com → ava@example.com\n" in dry.out
    assert "would remove:\n  invoicing\n" in dry.out
    real = await herald_import(owners, "--prune")
    counts = "1 added, 1 updated, 1 unchanged, 1 removed; 2 teams"
    assert f"herald: dry run, nothing written: {counts};" in dry.out and f"herald: {counts};" in real.out
    assert {"receipts", "signup-flow"} <= set(stored(engine)) and "invoicing" not in stored(engine)


async def test_a_dry_run_counts_the_contacts_to_look_up_as_the_real_run_then_looks_them_up(
    herald_import, workspace, tmp_path
):
    owners = write(tmp_path, "owners.yaml", GOOD_YAML + "  - name: docs\n    primary: ghost@example.com\n"
                   "    backup: U0ANN\n")

    dry = await herald_import(owners, "--dry-run")
    real = await herald_import(owners)
    again = await herald_import(owners, "--dry-run")

    assert dry.out.endswith("; 3 contacts to look up in Slack\n")
    assert real.out.endswith("; 3 contacts looked up in Slack, 1 not found\n")
    assert again.out.endswith("; 1 contact to look up in Slack\n")  # those found are not asked again


async def test_without_a_token_the_dry_run_and_the_real_run_both_say_who_was_not_looked_up(
    herald_import, monkeypatch, workspace, engine, tmp_path
):
    monkeypatch.delenv("SLACK_BOT_TOKEN")
    owners = write(tmp_path, "owners.yaml", GOOD_YAML + "  - name: docs\n    primary: U0ANN\n")

    dry = await herald_import(owners, "--dry-run")
    real = await herald_import(owners)

    unasked = "; 1 contact not looked up: SLACK_BOT_TOKEN is not set\n"  # the user ID is taken as written
    assert dry.out.endswith(unasked) and real.out.endswith(unasked)
    assert lookups(workspace) == 0
    assert stored(engine)["docs"].primary == "U0ANN"


async def test_the_real_run_lists_what_it_removed_as_the_dry_run_does(herald_import, tmp_path):
    write(tmp_path, "owners.yaml", THREE)
    await herald_import("owners.yaml")
    write(tmp_path, "owners.yaml", "components:\n  - name: alpha\n    primary: U0ANN\n")

    dry = await herald_import("owners.yaml", "--prune", "--dry-run")
    real = await herald_import("owners.yaml", "--prune")

    assert "would remove:\n  beta\n  gamma\n" in dry.out
    assert "removed:\n  beta\n  gamma\n" in real.out and "2 removed" in real.out


async def test_pruning_a_folder_with_no_owners_files_left_is_refused_unless_prune_empty_says_so(
    herald_import, engine, tmp_path
):
    (tmp_path / "owners").mkdir()
    gone = write(tmp_path / "owners", "a.yaml", TWO)
    await herald_import("owners")
    gone.unlink()

    refused = await herald_import("owners", "--prune")

    assert refused.code == 2
    assert refused.err.splitlines()[-1] == (
        f"herald: {tmp_path}/owners holds no owners files; refusing to prune everything it once held. "
        "Pass the files, or --prune-empty to remove them anyway")
    assert set(stored(engine)) == {"alpha", "beta"}
    emptied = await herald_import("owners", "--prune-empty")
    assert emptied.code == 0 and "2 removed" in emptied.out
    assert stored(engine) == {}


async def test_a_dry_run_of_a_batch_with_bad_rows_is_rejected_as_the_real_run_would_be(herald_import, engine, tmp_path):
    write(tmp_path, "owners.yaml", TWO.replace("primary: U0ANN", "primary: ann", 1))

    run = await herald_import("owners.yaml", "--dry-run")

    assert run.code == 1
    assert "owners.yaml:2: primary 'ann'" in run.err
    assert row_counts(engine) == (0, 0, 0, 0)


# The running bot sees imports


async def test_whoowns_finds_an_entry_as_soon_as_it_is_imported_or_changed(
    herald_import, workspace, sender, tmp_path
):
    assert "Nobody is recorded as owning “checkout”" in (await sender.command("checkout", command="/whoowns")).text
    owners = tmp_path / "owners.yaml"
    shutil.copy(EXAMPLES / "owners.yaml", owners)
    await herald_import(owners)

    found = await sender.command("checkout", command="/whoowns")

    assert found.json["blocks"][0]["text"]["text"] == "checkout-api"
    assert "*Primary*\\n<@U0AVA>" in found.text
    owners.write_text(owners.read_text().replace("aliases: [checkout, payments api]", "aliases: [checkout, till]"))
    await herald_import(owners)
    assert (await sender.command("till", command="/whoowns")).json["blocks"][0]["text"]["text"] == "checkout-api"
