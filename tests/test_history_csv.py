"""Launch history in and out: `herald export history` writes a row per change, `herald import history` reads the
same format back, all or nothing, idempotent, creating the launches it names with the state their history ends in."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, SQLModel, select

from bot.launches import checklist
from bot.launches.changes import change_field, create_launch, rename_launch
from bot.launches.history_csv import HISTORY_COLUMNS, history_rows, read_history
from bot.launches.history_import import HistoryRejected, import_history
from bot.launches.models import Launch, LaunchChange, Risk, Stage
from bot.runtime.cli import main
from tests.support.factories import add_component

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
AWKWARD = 'Provider says "two weeks", maybe three,\nthen legal'
HEADER = ",".join(HISTORY_COLUMNS)
STATE = ("key", "name", "name_key", "stage", "target_date", "owner_id", "risk", "risk_reason", "channel_id",
         "created_by", "created_at", "updated_at")


pytestmark = pytest.mark.usefixtures("cli_environment")


def at(days: float, hours: float = 0) -> datetime:
    return T0 + timedelta(days=days, hours=hours)


def set_field(session: Session, launch: Launch, field: str, value: str, when: datetime, actor: str = "U0ANN") -> None:
    change_field(session, launch=launch, field_name=field, value=value, actor_id=actor, admins=(), today=when.date(),
                 now=when)


@pytest.fixture
def history(engine) -> None:
    """Three launches as people run them: created with values that never change (creation values), slipped,
    corrected within minutes, renamed, ticked, launched late in the evening UTC, cancelled."""
    with Session(engine) as session:
        checkout = create_launch(session, name="Checkout v2", actor_id="U0ANN", now=at(0), stage=Stage.BUILDING,
                                 target=date(2026, 3, 1), channel_id="C0PAY", risk=Risk.AT_RISK, risk_reason=AWKWARD)
        set_field(session, checkout, "target", "2026-03-15", at(27))
        set_field(session, checkout, "stage", "beta", at(46))
        checklist.check_item(session, launch=checkout, item="1", done=True, actor_id="U0ANN", admins=(), now=at(50))
        set_field(session, checkout, "stage", "launched", at(68, 14.5))  # 23:30 UTC: the 15th in Berlin
        rename_launch(session, launch=checkout, new_name="Checkout Plus", actor_id="U0ANN", admins=(), now=at(70))

        search = create_launch(session, name="Search revamp", actor_id="U0BOB", now=at(1))
        set_field(session, search, "stage", "building", at(10), "U0BOB")
        set_field(session, search, "target", "2026-04-01", at(10, 1), "U0BOB")
        set_field(session, search, "target", "2026-04-10", at(10, 1.05), "U0BOB")  # within minutes: a correction
        set_field(session, search, "risk", "blocked Vendor, late", at(20), "U0BOB")
        set_field(session, search, "owner", "U0ANN", at(21), "U0BOB")

        never = create_launch(session, name="Never targeted", actor_id="U0BOB", now=at(2))
        set_field(session, never, "stage", "cancelled", at(30), "U0BOB")
        session.commit()


def exported(engine) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=HISTORY_COLUMNS, lineterminator="\n")
    writer.writeheader()
    with Session(engine) as session:
        writer.writerows(history_rows(session))
    return out.getvalue()


def imported(engine, text: str, *, source: str = "history.csv", progress=None):
    with Session(engine) as session:
        report = import_history(session, read_history(io.StringIO(text), source=source), progress=progress)
        session.commit()
    return report


def changes(engine) -> list[tuple]:
    with Session(engine) as session:
        return session.exec(
            select(Launch.key, LaunchChange.at, LaunchChange.actor_id, LaunchChange.field, LaunchChange.old_value,
                   LaunchChange.new_value).join(Launch, Launch.id == LaunchChange.launch_id)
            .order_by(Launch.key, LaunchChange.at, LaunchChange.id)
        ).all()


def states(engine) -> dict[str, tuple]:
    with Session(engine) as session:
        return {launch.key: tuple(getattr(launch, name) for name in STATE)
                for launch in session.exec(select(Launch))}


def empty(engine) -> None:
    with engine.begin() as connection:
        for table in reversed(SQLModel.metadata.sorted_tables):
            connection.execute(table.delete())


def csv_file(tmp_path, *lines: str, name: str = "history.csv"):
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


# Out


def test_the_export_is_a_row_per_change_with_times_in_utc_and_the_values_launches_were_created_with(history, engine):
    rows = list(csv.DictReader(io.StringIO(exported(engine))))

    checkout = [row for row in rows if row["launch_key"] == "checkout-v2"]
    assert {row["launch_name"] for row in checkout} == {"Checkout Plus"}
    assert [(row["at"], row["field"], row["old"], row["new"]) for row in checkout] == [
        ("2026-01-05T09:00:00+00:00", "created", "", "Checkout v2"),
        # Never changed since it was created: creation values, at the creation's moment, by its actor.
        ("2026-01-05T09:00:00+00:00", "owner", "", "U0ANN"),
        ("2026-01-05T09:00:00+00:00", "risk", "", "at_risk"),
        ("2026-01-05T09:00:00+00:00", "risk reason", "", AWKWARD),
        ("2026-01-05T09:00:00+00:00", "channel", "", "C0PAY"),
        ("2026-02-01T09:00:00+00:00", "target", "2026-03-01", "2026-03-15"),
        ("2026-02-20T09:00:00+00:00", "stage", "building", "beta"),
        ("2026-02-24T09:00:00+00:00", "checklist", "", "☑ Docs and release notes ready"),
        ("2026-03-14T23:30:00+00:00", "stage", "beta", "launched"),
        ("2026-03-16T09:00:00+00:00", "name", "Checkout v2", "Checkout Plus"),
    ]
    assert [row["launch_key"] for row in rows] == sorted(row["launch_key"] for row in rows)
    search = [(row["field"], row["old"], row["new"]) for row in rows if row["launch_key"] == "search-revamp"]
    assert ("target correction", "2026-04-01", "2026-04-10") in search
    assert ("owner", "", "U0BOB") not in search  # the creator owns a launch until an owner row says otherwise


def test_export_history_writes_csv_to_stdout_or_a_file(history, capsys, tmp_path):
    assert main(["export", "history"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == HEADER and len(list(csv.DictReader(io.StringIO(out)))) == 20

    assert main(["export", "history", "--format", "csv", "--output", "history.csv"]) == 0
    assert (tmp_path / "history.csv").read_text(encoding="utf-8") == out
    assert capsys.readouterr().err.splitlines()[-1] == "herald: wrote 20 history rows to history.csv"


# In


def test_an_exported_history_imports_into_an_empty_store_as_the_same_history_and_state(history, engine):
    text, before_changes, before_states = exported(engine), changes(engine), states(engine)
    empty(engine)

    report = imported(engine, text)

    assert changes(engine) == before_changes
    assert states(engine) == before_states
    assert (report.created, report.updated, report.added, report.already) == (3, 0, len(before_changes), 0)
    assert exported(engine) == text


def test_the_same_file_twice_changes_nothing(history, engine):
    text = exported(engine)
    empty(engine)
    imported(engine, text)
    after_once = changes(engine), states(engine)

    report = imported(engine, text)

    assert (changes(engine), states(engine)) == after_once
    assert (report.created, report.updated, report.added) == (0, 0, 0)
    assert report.already == 20


def test_a_store_importing_its_own_export_changes_nothing(history, engine):
    before = changes(engine), states(engine)

    report = imported(engine, exported(engine))

    assert (changes(engine), states(engine)) == before
    assert (report.added, report.already) == (0, 20)


def test_a_spreadsheet_history_creates_its_launches_in_the_state_their_history_ends_in(engine):
    report = imported(engine, "\n".join([
        HEADER,
        "Payments EU,Payments EU,2025-03-02T10:00:00+01:00,U0CARA,stage,,planning",
        "Payments EU,Payments EU,2025-03-02T10:00:00+01:00,U0CARA,target,,2025-06-01",
        "Payments EU,Payments EU,2025-04-01T09:00:00+02:00,U0CARA,stage,planning,building",
        "Payments EU,Payments EU,2025-05-20T09:00:00Z,U0DAN,target,2025-06-01,2025-07-01",
        "Payments EU,Payments EU,2025-07-03T18:00:00-04:00,U0DAN,stage,building,launched",
        "Payments EU,Payments EU,2025-07-04T08:00:00+00:00,U0DAN,owner,,U0DAN",
    ]) + "\n")

    with Session(engine) as session:
        launch = session.exec(select(Launch)).one()
    assert (launch.key, launch.name, launch.name_key) == ("payments-eu", "Payments EU", "payments-eu")
    assert (launch.stage, launch.target_date, launch.owner_id) == (Stage.LAUNCHED, date(2025, 7, 1), "U0DAN")
    assert (launch.created_by, launch.created_at) == ("U0CARA", datetime(2025, 3, 2, 9, 0, tzinfo=UTC))
    assert launch.updated_at == datetime(2025, 7, 4, 8, 0, tzinfo=UTC)
    # Its creation is recorded as Herald records one; the first stage and target are what it was created with.
    assert [(field, old, new) for _key, _at, _actor, field, old, new in changes(engine)] == [
        ("created", None, "Payments EU"),
        ("stage", "planning", "building"),
        ("target", "2025-06-01", "2025-07-01"),
        ("stage", "building", "launched"),
        ("owner", None, "U0DAN"),
    ]
    assert (report.created, report.added, report.already) == (1, 5, 0)


def test_merging_into_a_launch_herald_has_adds_older_history_without_turning_its_state_back(history, engine):
    text = "\n".join([
        HEADER,
        # Before the launch's latest change (its rename on day 70): history only.
        "checkout-v2,Checkout Plus,2026-01-20T09:00:00+00:00,U0ANN,risk,at_risk,blocked",
        "checkout-v2,Checkout Plus,2026-01-20T09:00:00+00:00,U0ANN,stage,building,planning",
        # After it: the launch's state follows.
        "checkout-v2,Checkout Plus,2026-04-01T09:00:00+00:00,U0BOB,owner,U0ANN,U0BOB",
    ]) + "\n"
    before = states(engine)["checkout-v2"]

    report = imported(engine, text)

    after = dict(zip(STATE, states(engine)["checkout-v2"], strict=True))
    assert (after["stage"], after["risk"]) == (Stage.LAUNCHED, Risk.AT_RISK)
    assert after["owner_id"] == "U0BOB" and after["updated_at"] == datetime(2026, 4, 1, 9, tzinfo=UTC)
    assert {k: v for k, v in after.items() if k not in ("owner_id", "updated_at")} == \
        {k: v for k, v in zip(STATE, before, strict=True) if k not in ("owner_id", "updated_at")}
    assert (report.created, report.updated, report.added, report.already) == (0, 1, 3, 0)


def test_progress_is_reported_up_to_every_row(history, engine):
    text = exported(engine)
    empty(engine)
    calls = []

    imported(engine, text, progress=lambda done, total: calls.append((done, total)))

    assert calls and calls[-1] == (20, 20)
    assert [done for done, _ in calls] == sorted(done for done, _ in calls)


# Refusals: a problem names file:line, and nothing is written


GOOD = "checkout,Checkout,2026-01-05T09:00:00+00:00,U0ANN,created,,Checkout"


@pytest.mark.parametrize(("line", "said"), [
    ("checkout,Checkout,2026-02-01T09:00:00+00:00,U0ANN,stage,building,shipped",
     "new stage “shipped” is not one of planning, building, beta, ready, launched, cancelled"),
    ("checkout,Checkout,2026-02-01T09:00:00,U0ANN,stage,planning,building",
     "at “2026-02-01T09:00:00” has no UTC offset, so it could be any of 26 hours; write it with one, "
     "like 2026-02-01T09:00:00+00:00"),
    ("checkout,Checkout,0001-01-01T00:00:00+05:00,U0ANN,stage,planning,building",
     "at “0001-01-01T00:00:00+05:00” is outside the calendar once written in UTC"),
    ("checkout,Checkout,next tuesday,U0ANN,stage,planning,building",
     "at “next tuesday” is not an ISO 8601 time, like 2026-03-02T09:30:00+01:00"),
    ("checkout,Checkout,2026-02-01T09:00:00+00:00,U0ANN,target,,2026-2-1",
     "new target “2026-2-1” is not a date in the form YYYY-MM-DD"),
    ("checkout,Checkout,2026-02-01T09:00:00+00:00,ann,stage,planning,building",
     "actor “ann” is not a Slack user ID (like U0123ABCD)"),
    ("checkout,Checkout,2026-02-01T09:00:00+00:00,U0ANN,owner,,@ann", "new owner “@ann” is not a Slack user ID"),
    ("checkout,Checkout,2026-02-01T09:00:00+00:00,U0ANN,colour,,blue",
     "“colour” is not a field Herald records; fields: created, stage, target, target correction, owner, risk, "
     "risk reason, channel, name, checklist, sign-off, sign-off reason, sign-off nudge, sign-off override"),
    ("checkout,Checkout,2026-02-01T09:00:00+00:00,U0ANN,stage,planning", "6 values, but the header has 7 columns"),
    ("checkout,Checkout v2,2026-02-01T09:00:00+00:00,U0ANN,stage,planning,building",
     "launch checkout is called “Checkout” on line 2 and “Checkout v2” here; give a launch one launch_name "
     "(renames are `name` rows)"),
])
def test_a_bad_row_is_named_by_file_and_line_and_nothing_is_written(engine, capsys, tmp_path, line, said):
    rows = [GOOD] + [f"checkout,Checkout,2026-01-0{n}T09:00:00+00:00,U0ANN,checklist,,☑ Item {n}" for n in range(6, 10)]
    path = csv_file(tmp_path, HEADER, *rows, line)

    assert main(["import", "history", str(path)]) == 1

    assert capsys.readouterr().err.splitlines() == [
        "herald: 1 invalid row; nothing was imported:", f"{path}:7: {said}"]
    assert states(engine) == {} and changes(engine) == []


def test_a_header_missing_a_column_is_refused_at_line_1(engine, capsys, tmp_path):
    path = csv_file(tmp_path, "launch_key,launch_name,at,actor,field,new,colour", GOOD + ",")

    assert main(["import", "history", str(path)]) == 1

    assert capsys.readouterr().err.splitlines()[-1] == (
        f"{path}:1: the header must name the columns launch_key, launch_name, at, actor, field, old, new "
        "(missing old; unknown 'colour')")
    assert states(engine) == {}


def test_every_bad_row_is_listed_and_a_good_one_is_not_written_either(engine, capsys, tmp_path):
    path = csv_file(tmp_path, HEADER, GOOD, GOOD.replace("U0ANN", "x"), '"quoted\nover lines",Q,bad,U0ANN,created,,Q')

    assert main(["import", "history", str(path)]) == 1

    err = capsys.readouterr().err.splitlines()
    assert err[0] == "herald: 2 invalid rows; nothing was imported:"
    assert [line.split(": ")[0] for line in err[1:]] == [f"{path}:3", f"{path}:4"]
    assert states(engine) == {}


def test_a_launch_answering_to_another_launchs_name_or_a_components_is_refused(history, engine):
    with Session(engine) as session:
        add_component(session, "Billing API")
    text = "\n".join([HEADER, "search,Search Revamp,2026-01-05T09:00:00+00:00,U0ANN,created,,Search Revamp",
                      "billing,Billing API,2026-01-05T09:00:00+00:00,U0ANN,created,,Billing API"]) + "\n"
    before = changes(engine)

    with pytest.raises(HistoryRejected) as refused:
        imported(engine, text, source="old.csv")

    assert refused.value.problems == [
        "old.csv:2: launch search (“Search Revamp”): launch search-revamp answers to that name too; rename one of them",
        "old.csv:3: launch billing (“Billing API”): a component is called that; give the launch a name of its own",
    ]
    assert changes(engine) == before


# The command


def test_import_history_says_what_it_did_and_a_dry_run_writes_nothing(history, engine, capsys, tmp_path):
    assert main(["export", "history", "--output", "history.csv"]) == 0
    empty(engine)
    capsys.readouterr()

    assert main(["import", "history", "history.csv", "--dry-run"]) == 0
    assert capsys.readouterr().out == "herald: dry run, nothing written: 3 launches created, 0 updated, " \
                                      "15 changes added, 0 already there\n"
    assert states(engine) == {}

    assert main(["import", "history", "history.csv"]) == 0
    assert capsys.readouterr().out == "herald: 3 launches created, 0 updated, 15 changes added, 0 already there\n"
    assert main(["import", "history", "history.csv"]) == 0
    assert capsys.readouterr().out == "herald: 0 launches created, 0 updated, 0 changes added, 20 already there\n"


def test_import_history_of_a_missing_file_is_a_usage_error(capsys):
    assert main(["import", "history", "nowhere.csv"]) == 2
    assert capsys.readouterr().err.splitlines()[-1] == "herald: no such file: nowhere.csv"
