"""`herald export launches` (CSV or JSON, a row per launch) and `herald export directory` (Herald's owners
YAML or CSV, which `herald import owners` reads back into the same directory)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlmodel import Session, create_engine, select

from bot.directory.models import Component, Contact, Team, TeamMember
from bot.launches.models import Launch, LaunchChange
from bot.runtime.cli import main
from tests.support.factories import add_launch
from tests.support.slack_requests import FIXTURES

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
OWNERS_FILES = (EXAMPLES / "owners.yaml", EXAMPLES / "owners.csv", FIXTURES / "codeowners" / "nodejs-node.CODEOWNERS",
                FIXTURES / "backstage")
AWKWARD = 'Provider says "two weeks", maybe three,\nthen legal'


pytestmark = pytest.mark.usefixtures("cli_environment")


@pytest.fixture
def launches(engine):
    with Session(engine) as session:
        add_launch(session, "Checkout, v2", stage="beta", target="2026-12-01", owner="U0ANN", risk="at_risk",
                   risk_reason=AWKWARD, channel="C0PAY", done=2)
        add_launch(session, "Search revamp", owner="U0BOB")


def export(capsys, *args: str) -> str:
    capsys.readouterr()
    assert main(["export", *args]) == 0
    return capsys.readouterr().out


# Launches


def test_launches_as_csv_are_a_row_each_with_awkward_text_intact(launches, capsys):
    rows = list(csv.DictReader(io.StringIO(export(capsys, "launches", "--format", "csv"))))

    assert [row["key"] for row in rows] == ["checkout-v2", "search-revamp"]
    checkout = rows[0]
    assert (checkout["name"], checkout["stage"], checkout["owner"], checkout["channel"], checkout["target"]) == \
        ("Checkout, v2", "beta", "U0ANN", "C0PAY", "2026-12-01")
    assert (checkout["risk"], checkout["risk_reason"]) == ("at_risk", AWKWARD)
    assert int(checkout["checklist_done"]) == 2 and int(checkout["checklist_total"]) > 2
    for moment in (checkout["created"], checkout["updated"]):
        assert datetime.fromisoformat(moment).utcoffset() is not None
    assert rows[1]["channel"] == rows[1]["target"] == rows[1]["risk_reason"] == ""


def test_launches_as_csv_carry_every_input_of_the_figures(engine, capsys):
    """Planned for 1 Feb when it went into building, moved to 10 Feb (a slip of 9 days), launched on 12 Feb:
    11 days late; 4 days in planning, 38 in building (5 Jan 00:00 → 12 Feb 00:00)."""
    with Session(engine) as session:
        launch = Launch(key="lynx", name="Lynx", name_key="lynx", stage="launched", target_date=date(2026, 2, 10),
                        created_by="U0ANN", created_at=datetime(2026, 1, 1, tzinfo=UTC))
        session.add(launch)
        session.flush()
        for day, field, old, new in ((1, "created", None, "Lynx"), (5, "stage", "planning", "building")):
            session.add(LaunchChange(launch_id=launch.id, at=datetime(2026, 1, day, tzinfo=UTC), actor_id="U0ANN",
                                     field=field, old_value=old, new_value=new))
        session.add(LaunchChange(launch_id=launch.id, at=datetime(2026, 1, 2, tzinfo=UTC), actor_id="U0ANN",
                                 field="target", old_value=None, new_value="2026-02-01"))
        session.add(LaunchChange(launch_id=launch.id, at=datetime(2026, 1, 20, tzinfo=UTC), actor_id="U0ANN",
                                 field="target", old_value="2026-02-01", new_value="2026-02-10"))
        session.add(LaunchChange(launch_id=launch.id, at=datetime(2026, 2, 12, tzinfo=UTC), actor_id="U0ANN",
                                 field="stage", old_value="building", new_value="launched"))
        session.commit()

    [row] = csv.DictReader(io.StringIO(export(capsys, "launches", "--format", "csv")))

    assert {name: row[name] for name in ("committed_target", "final_target", "launched_on", "delay_days", "on_time",
                                         "slips", "slip_days", "days_planning", "days_building", "days_launched")} == {
        "committed_target": "2026-02-01", "final_target": "2026-02-10", "launched_on": "2026-02-12",
        "delay_days": "11", "on_time": "False", "slips": "1", "slip_days": "9", "days_planning": "4.0",
        "days_building": "38.0", "days_launched": ""}


def test_launches_as_json_include_the_checklist_items(launches, capsys):
    rows = json.loads(export(capsys, "launches", "--format", "json"))

    checkout = rows[0]
    assert checkout["risk_reason"] == AWKWARD and checkout["target"] == "2026-12-01"
    assert len(checkout["checklist"]) == checkout["checklist_total"]
    assert sum(item["done"] for item in checkout["checklist"]) == checkout["checklist_done"] == 2
    assert {"label", "done", "done_by", "done_at"} == set(checkout["checklist"][0])
    assert rows[1]["target"] is None


def test_an_empty_store_exports_a_header_or_an_empty_list(capsys):
    assert export(capsys, "launches").splitlines() == [
        "key,name,stage,owner,channel,target,risk,risk_reason,checklist_done,checklist_total,created,updated,"
        "committed_target,final_target,launched_on,delay_days,on_time,slips,slip_days,"
        "days_planning,days_building,days_beta,days_ready,days_launched,days_cancelled"]
    assert json.loads(export(capsys, "launches", "--format", "json")) == []


def test_output_writes_the_file_and_leaves_stdout_empty(launches, capsys, tmp_path):
    assert export(capsys, "launches", "--format", "json", "--output", "launches.json") == ""
    assert [row["key"] for row in json.loads((tmp_path / "launches.json").read_text())] == ["checkout-v2", "search-revamp"]
    assert list(tmp_path.glob("*.part")) == []


def test_output_into_a_missing_folder_names_the_file_asked_for_and_its_folder(capsys, tmp_path):
    assert main(["export", "launches", "--output", str(tmp_path / "nowhere" / "launches.csv")]) == 1

    assert capsys.readouterr().err.splitlines()[-1] == (
        f"herald: {tmp_path}/nowhere/launches.csv: the folder {tmp_path}/nowhere does not exist")


def test_a_reader_that_stops_early_ends_the_export_quietly(launches, database_url, tmp_path):
    """`herald export launches | head -1`: the pipe closes before Herald writes; it says nothing and exits 1."""
    environment = {**os.environ, "DATABASE_URL": database_url, "HOME": str(tmp_path)}
    herald = subprocess.Popen([sys.executable, "-m", "bot.runtime.cli", "export", "launches"], cwd=tmp_path,
                              env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    herald.stdout.close()  # the reader is gone before the first row

    _, err = herald.communicate(timeout=60)

    assert herald.returncode == 1
    [line] = err.decode().splitlines()  # no "Broken pipe", and nothing from the flush at exit
    assert line.startswith("herald: using the store at ")


# The directory


def directory(engine) -> dict[str, object]:
    """Components, teams and contacts as the owners files say them: names and references, not row ids."""
    with Session(engine) as session:
        teams = {team.id: team for team in session.exec(select(Team))}
        refs = dict(session.exec(select(Contact.id, Contact.ref)).all())
        members = {}
        for member in session.exec(select(TeamMember)):
            members.setdefault(teams[member.team_id].key, set()).add(refs[member.contact_id])
        return {
            "components": {c.key: (c.name, c.kind, c.description, c.aliases, c.tags, teams[c.team_id].name if c.team_id
                                   else None, refs.get(c.primary_contact_id), refs.get(c.backup_contact_id), c.channel,
                                   c.escalation, c.runbook_url, c.repo_url)
                           for c in session.exec(select(Component))},
            "teams": {t.key: (t.name, t.display_name, t.channel, t.slack_group, t.escalation, members.get(t.key, set()))
                      for t in teams.values()},
            "contacts": set(refs.values()),
        }


def import_owners(*paths: Path | str) -> None:
    assert main(["import", "owners", *map(str, paths)]) == 0


@pytest.mark.parametrize("file_format", ["yaml", "csv"])
def test_an_exported_directory_imports_into_an_empty_store_as_the_same_directory(
    engine, capsys, monkeypatch, tmp_path, file_format
):
    import_owners(*OWNERS_FILES)
    exported = tmp_path / f"owners.{file_format}"
    assert export(capsys, "directory", "--format", file_format, "--output", str(exported)) == ""
    empty = f"sqlite:///{tmp_path / 'empty.db'}"
    monkeypatch.setenv("DATABASE_URL", empty)

    import_owners(exported)

    original, copy = directory(engine), directory(create_engine(empty))
    assert len(original["components"]) > 100
    assert copy["components"] == original["components"]
    if file_format == "yaml":  # the CSV format has no team rows: only the components' team names come back
        assert (copy["teams"], copy["contacts"]) == (original["teams"], original["contacts"])


def test_the_directory_goes_to_stdout_as_herald_yaml_by_default(engine, capsys):
    import_owners(EXAMPLES / "owners.yaml")

    out = export(capsys, "directory")

    assert out.startswith("teams:\n- name: growth\n")
    assert "channel: '#payments'" in out and "- '@ben'" in out
