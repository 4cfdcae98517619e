"""Launch history as CSV, a row per change: `launch_key, launch_name, at, actor, field, old, new`.

`herald export history` writes it and `herald import history` reads it back (bot.launches.history_import),
so a team can bring a year of launches from a spreadsheet or another tool.

Herald records a launch's creation as one `created` row: the stage, target, owner, risk and channel it
was created with are not changes. So that a file says everything, a launch's row set holds its
*creation values* too: a row for each such field that never changed since, at the moment of the
`created` row, by its actor, with `old` empty. The importer reads these back as creation values, not as
changes (see `is_creation_value`), so a history goes out and comes back the same.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import Row
from sqlmodel import Session, col, select

from bot.core.errors import InvalidInput
from bot.core.matching import slugify
from bot.core.slack_ids import is_channel_id, is_user_id
from bot.launches import slips
from bot.launches.changes import MAX_NAME_LENGTH
from bot.launches.export import iso_time
from bot.launches.fields import one_line
from bot.launches.models import Launch, LaunchChange, Risk, Stage
from bot.launches.signoff_models import SIGNOFF_FIELDS

HISTORY_COLUMNS = ("launch_key", "launch_name", "at", "actor", "field", "old", "new")
CREATED, NAME, CHECKLIST = "created", "name", "checklist"
# The fields that make a launch's current state, with the Launch attribute each sets: the latest row of a
# field is the launch's value (a target correction amends the target, as a target change does).
STATE_FIELDS = {
    "stage": "stage",
    slips.TARGET: "target_date",
    slips.TARGET_CORRECTION: "target_date",
    "owner": "owner_id",
    "risk": "risk",
    "risk reason": "risk_reason",
    "channel": "channel_id",
    NAME: "name",
}
# A launch's state before any row says otherwise; the fields a creation value can be given for.
DEFAULTS: dict[str, Any] = {"stage": Stage.PLANNING, "target_date": None, "owner_id": None, "risk": Risk.ON_TRACK,
                            "risk_reason": None, "channel_id": None}
CREATION_FIELDS = ("stage", slips.TARGET, "owner", "risk", "risk reason", "channel")
MAX_VALUE_LENGTH = 500  # launch_change.old_value / new_value
MAX_ACTOR_LENGTH = 32
EXPORT_BATCH = 2_000


@dataclass(frozen=True)
class HistoryRow:
    """One valid row, `at` in UTC; `line` is where it starts in the file, for errors found later."""

    line: int
    launch_key: str
    launch_name: str
    at: datetime
    actor: str
    field: str
    old: str | None
    new: str | None

    @property
    def identity(self) -> tuple[datetime, str, str, str | None, str | None]:
        """What makes a change the same change twice, within its launch: importing it again adds nothing."""
        return self.at, self.actor, self.field, self.old, self.new


@dataclass
class HistoryFile:
    """What one file says: its valid rows, and a `file:line: …` line for each that is not."""

    source: str
    rows: list[HistoryRow] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- out


def history_rows(session: Session) -> Iterator[dict[str, str | None]]:
    """Every change of every launch, by launch key then time, a launch at a time; each launch's creation
    values follow its `created` row."""
    launches = {launch.id: launch for launch in session.exec(select(Launch))}
    query = (select(LaunchChange.launch_id, LaunchChange.at, LaunchChange.actor_id, LaunchChange.field,
                    LaunchChange.old_value, LaunchChange.new_value)  # plain rows: no ORM object a change
             .join(Launch, col(Launch.id) == LaunchChange.launch_id)
             .order_by(Launch.key, LaunchChange.at, LaunchChange.id).execution_options(yield_per=EXPORT_BATCH))
    current: list[Row] = []
    for change in session.exec(query):
        if current and change.launch_id != current[0].launch_id:
            yield from _launch_rows(launches.pop(current[0].launch_id), current)
            current = []
        current.append(change)
    if current:
        yield from _launch_rows(launches.pop(current[0].launch_id), current)
    for launch in sorted(launches.values(), key=lambda launch: launch.key):  # no history at all
        yield from _launch_rows(launch, [])


def _launch_rows(launch: Launch, changes: list[Row]) -> Iterator[dict[str, str | None]]:
    created = next((c for c in changes if c.field == CREATED), None)
    creation = _creation_rows(launch, changes, created)
    for change in changes:
        yield _row(launch, change.at, change.actor_id, change.field, change.old_value, change.new_value)
        if change is created:
            yield from creation
            creation = []
    yield from creation  # a launch without a `created` row: its creation values come last


def _creation_rows(launch: Launch, changes: list[Row], created: Row | None) -> list[dict]:
    """A row for each creation value no change since tells: fields that never changed and are not the default."""
    changed = {STATE_FIELDS.get(c.field) for c in changes}
    at, actor = (created.at, created.actor_id) if created else (launch.created_at, launch.created_by)
    rows = []
    for name in CREATION_FIELDS:
        attribute = STATE_FIELDS[name]
        value = getattr(launch, attribute)
        if attribute not in changed and value != DEFAULTS[attribute]:
            rows.append(_row(launch, at, actor, name, None, _text(value)))
    return rows


def _row(launch: Launch, at: datetime, actor: str, name: str, old: str | None, new: str | None) -> dict:
    return {"launch_key": launch.key, "launch_name": launch.name, "at": iso_time(at), "actor": actor,
            "field": name, "old": old, "new": new}


def _text(value: object) -> str:
    return value.isoformat() if isinstance(value, date) else str(value)


# --------------------------------------------------------------------------- in


def read_history(lines: Iterable[str], *, source: str) -> HistoryFile:
    """Every row of a history file checked: the header, then each row's launch, time, actor, field and
    values. A launch's name must be the same on all its rows."""
    found = HistoryFile(source)
    reader = csv.reader(lines)
    line = 1
    try:
        header = next(reader, None)
        columns = _columns(header, found)
        names: dict[str, tuple[str, int]] = {}
        while columns:
            line = reader.line_num + 1  # where the next record starts: a quoted value can span lines
            values = next(reader, None)
            if values is None:
                break
            if any(values):  # not a blank line
                _take(values, columns, line, names, found)
    except csv.Error as problem:
        found.problems.append(f"{source}:{reader.line_num}: {problem}")
    except UnicodeDecodeError:
        found.problems.append(f"{source}:{line}: not UTF-8 text; save the file as CSV UTF-8")
    return found


def is_creation_value(row: HistoryRow, created_at: datetime) -> bool:
    """Whether a row gives a launch's creation value (see the module's docstring) rather than a change."""
    return row.field in CREATION_FIELDS and row.old is None and row.at == created_at


def _take(values: list[str], columns: list[str], line: int, names: dict[str, tuple[str, int]],
          found: HistoryFile) -> None:
    if len(values) != len(columns):
        found.problems.append(f"{found.source}:{line}: {len(values)} values, but the header has {len(columns)} "
                              "columns")
        return
    try:
        row = _read_row(dict(zip(columns, values, strict=True)), line)
        _same_name(row, names)
    except InvalidInput as problem:
        found.problems.append(f"{found.source}:{line}: {problem}")
    else:
        found.rows.append(row)


def _columns(header: list[str] | None, found: HistoryFile) -> list[str] | None:
    if header is None:
        found.problems.append(f"{found.source}:1: the file is empty; its first line must name the columns "
                              f"{', '.join(HISTORY_COLUMNS)}")
        return None
    columns = [name.strip().lower() for name in header]
    missing = [name for name in HISTORY_COLUMNS if name not in columns]
    extra = [name for name in columns if name not in HISTORY_COLUMNS]
    if missing or extra or len(set(columns)) != len(columns):
        said = "; ".join(filter(None, [missing and f"missing {', '.join(missing)}",
                                       extra and f"unknown {', '.join(repr(e) for e in extra)}"])) or "a column twice"
        found.problems.append(f"{found.source}:1: the header must name the columns "
                              f"{', '.join(HISTORY_COLUMNS)} ({said})")
        return None
    return columns


def _read_row(values: dict[str, str], line: int) -> HistoryRow:
    key, name = _launch(values["launch_key"], values["launch_name"])
    actor = values["actor"].strip()
    if not is_user_id(actor) or len(actor) > MAX_ACTOR_LENGTH:
        raise InvalidInput(f"actor “{actor}” is not a Slack user ID (like U0123ABCD)")
    name_of_field = values["field"].strip().lower()
    rule = VALUE_RULES.get(name_of_field)
    if rule is None:
        raise InvalidInput(f"“{values['field']}” is not a field Herald records; fields: {', '.join(VALUE_RULES)}")
    old, new = values["old"] or None, values["new"] or None
    for what, value, check in (("old", old, rule[0]), ("new", new, rule[1])):
        if value is not None and len(value) > MAX_VALUE_LENGTH:
            raise InvalidInput(f"{what} can be at most {MAX_VALUE_LENGTH} characters")
        check(value, f"{what} {name_of_field}")
    return HistoryRow(line, key, name, _moment(values["at"]), actor, name_of_field, old, new)


@lru_cache(maxsize=10_000)
def _launch(typed_key: str, typed_name: str) -> tuple[str, str]:
    """A row's launch key and name, checked once for all the rows of a launch."""
    key = slugify(typed_key)
    if not key:
        raise InvalidInput("launch_key is empty; give each row the key of its launch, like checkout-v2")
    if len(key) > MAX_NAME_LENGTH:
        raise InvalidInput(f"launch_key can be at most {MAX_NAME_LENGTH} characters")
    return key, _launch_name(typed_name, "launch_name")


def _same_name(row: HistoryRow, names: dict[str, tuple[str, int]]) -> None:
    name, line = names.setdefault(row.launch_key, (row.launch_name, row.line))
    if name != row.launch_name:
        raise InvalidInput(f"launch {row.launch_key} is called “{name}” on line {line} and “{row.launch_name}” here; "
                           "give a launch one launch_name (renames are `name` rows)")


def _moment(value: str) -> datetime:
    try:
        moment = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"at “{value}” is not an ISO 8601 time, like 2026-03-02T09:30:00+01:00") from None
    if moment.utcoffset() is None:
        raise InvalidInput(f"at “{value}” has no UTC offset, so it could be any of 26 hours; "
                           f"write it with one, like {moment.isoformat()}+00:00")
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # 0001-01-01T00:00+05:00 is before the first day there is in UTC
        raise InvalidInput(f"at “{value}” is outside the calendar once written in UTC") from None


# What each field's old and new values may be: a check raises InvalidInput naming `what` (e.g. "new stage").
Check = Callable[[str | None, str], None]


def _anything(_value: str | None, _what: str) -> None:
    pass


def _empty(value: str | None, what: str) -> None:
    if value is not None:
        raise InvalidInput(f"{what} must be empty")


def _text_given(value: str | None, what: str) -> None:
    if value is None:
        raise InvalidInput(f"{what} is empty")


def _one_of(values: type[Stage | Risk], *, required: bool) -> Check:
    known = frozenset(v.value for v in values)

    def check(value: str | None, what: str) -> None:
        if value is None and required:
            raise InvalidInput(f"{what} is empty; use one of {', '.join(values)}")
        if value is not None and value not in known:
            raise InvalidInput(f"{what} “{value}” is not one of {', '.join(values)}")
    return check


def _target(value: str | None, what: str) -> None:
    if value is None:
        return
    try:
        if len(value) != 10:
            raise ValueError
        date.fromisoformat(value)
    except ValueError:
        raise InvalidInput(f"{what} “{value}” is not a date in the form YYYY-MM-DD") from None


def _slack_id(valid: Callable[[str | None], bool], kind: str) -> Check:
    def check(value: str | None, what: str) -> None:
        if value is not None and not valid(value):
            raise InvalidInput(f"{what} “{value}” is not a Slack {kind} ID")
    return check


def _name(value: str | None, what: str) -> None:
    _launch_name(value or "", what)


def _launch_name(value: str, what: str) -> str:
    """A launch name as Herald keeps one: one line, at most MAX_NAME_LENGTH characters, a letter or digit."""
    name = one_line(value, what)
    if name != value or not slugify(name) or len(slugify(name)) > MAX_NAME_LENGTH or len(name) > MAX_NAME_LENGTH:
        raise InvalidInput(f"{what} “{value}” is not a launch name: one line of at most {MAX_NAME_LENGTH} "
                           "characters with a letter or digit, no spaces around it")
    return name


VALUE_RULES = {  # field -> (old check, new check)
    CREATED: (_empty, _text_given),
    "stage": (_one_of(Stage, required=False), _one_of(Stage, required=True)),
    slips.TARGET: (_target, _target),
    slips.TARGET_CORRECTION: (_target, _target),
    "owner": (_slack_id(is_user_id, "user"), _slack_id(is_user_id, "user")),
    "risk": (_one_of(Risk, required=False), _one_of(Risk, required=True)),
    "risk reason": (_anything, _anything),
    "channel": (_slack_id(is_channel_id, "channel"), _slack_id(is_channel_id, "channel")),
    NAME: (_anything, _name),
    CHECKLIST: (_empty, _text_given),
    **{field: (_anything, _anything) for field in SIGNOFF_FIELDS},
}
