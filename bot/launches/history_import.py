"""Writing an imported launch history (bot.launches.history_csv): all or nothing, and idempotent.

The launches a file names are created, or merged into when Herald has them already. A change already
there (same launch, time, actor, field, old and new) is not added again, so the same file twice changes
nothing. A launch's current state is where its history ends: a launch the import creates takes the
latest value of each field; one Herald had takes only what the file says happened after its own latest
change, so an import of an older spreadsheet adds history without turning a newer state back.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import insert
from sqlmodel import Session, col, select

from bot.core.errors import HeraldError
from bot.core.matching import slugify
from bot.core.render import plural
from bot.directory.models import Component
from bot.launches.history_csv import (
    CREATED,
    DEFAULTS,
    STATE_FIELDS,
    HistoryFile,
    HistoryRow,
    is_creation_value,
)
from bot.launches.models import Launch, LaunchChange, Risk, Stage
from bot.releases.models import Release

Progress = Callable[[int, int], None]
CHUNK = 5_000  # rows a multi-row insert writes; ids read a chunk at a time
SHOWN = 20  # problems an error lists; the count covers the rest
Identity = tuple[datetime, str, str, str | None, str | None]


class HistoryRejected(HeraldError):
    """Some rows are invalid, so nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        more = [f"… and {len(problems) - SHOWN:,} more"] if len(problems) > SHOWN else []
        lines = "\n".join(problems[:SHOWN] + more)
        super().__init__(f"{plural(len(problems), 'invalid row')}; nothing was imported:\n{lines}")


@dataclass
class HistoryReport:
    created: int = 0  # launches
    updated: int = 0  # launches Herald had, given changes
    added: int = 0  # changes
    already: int = 0  # changes (and creation values) Herald had


@dataclass
class _Plan:
    """What the import does to one launch."""

    key: str
    line: int  # its first row's, for problems found with its name
    launch: Launch | None  # None: the import creates it
    created_at: datetime
    created_by: str
    rows: list[HistoryRow] = field(default_factory=list)  # to add, in order
    state: dict[str, Any] = field(default_factory=dict)  # Launch attribute -> value
    already: int = 0

    @property
    def name(self) -> str:
        return self.state.get("name") or self.launch.name


def import_history(session: Session, history: HistoryFile, *, progress: Progress | None = None) -> HistoryReport:
    if history.problems:
        raise HistoryRejected(history.problems)
    launches = {launch.key: launch for launch in session.exec(select(Launch))}
    by_launch = _by_launch(history.rows)
    known = _known_changes(session, [launches[key].id for key in by_launch if key in launches])
    plans = [_plan(rows, launches.get(key), known) for key, rows in by_launch.items()]
    if problems := _name_problems(session, plans, launches, history.source):
        raise HistoryRejected(problems)
    ids = _write_launches(session, plans)
    report = HistoryReport(created=sum(p.launch is None for p in plans),
                           updated=sum(p.launch is not None and bool(p.rows) for p in plans),
                           added=sum(len(p.rows) for p in plans), already=sum(p.already for p in plans))
    _write_changes(session, plans, ids, total=len(history.rows), progress=progress)
    return report


def _by_launch(rows: Iterable[HistoryRow]) -> dict[str, list[HistoryRow]]:
    """Each launch's rows in time order; rows of one moment in the file's order."""
    grouped: dict[str, list[HistoryRow]] = {}
    for row in rows:
        grouped.setdefault(row.launch_key, []).append(row)
    for launch_rows in grouped.values():
        launch_rows.sort(key=lambda row: (row.at, row.line))
    return grouped


def _known_changes(session: Session, launch_ids: list[int]) -> dict[int, set[Identity]]:
    """The changes Herald has of these launches, as identities: one set lookup per row of the file."""
    known: dict[int, set[Identity]] = {}
    for start in range(0, len(launch_ids), CHUNK):
        for launch_id, *identity in session.exec(
            select(LaunchChange.launch_id, LaunchChange.at, LaunchChange.actor_id, LaunchChange.field,
                   LaunchChange.old_value, LaunchChange.new_value)
            .where(col(LaunchChange.launch_id).in_(launch_ids[start:start + CHUNK]))
        ):
            known.setdefault(launch_id, set()).add(tuple(identity))
    return known


def _plan(rows: list[HistoryRow], launch: Launch | None, known: dict[int, set[Identity]]) -> _Plan:
    first = rows[0]
    origin = launch or next((row for row in rows if row.field == CREATED), first)
    plan = _Plan(first.launch_key, first.line, launch, origin.created_at if launch else origin.at,
                 launch.created_by if launch else origin.actor)
    seen = known.get(launch.id, set()) if launch else set()
    last = max((at for at, *_ in seen), default=launch.created_at) if launch else None
    if launch is None:
        plan.state = {**DEFAULTS, "name": first.launch_name, "created_at": plan.created_at}
        if origin is first and first.field != CREATED:  # every launch's history starts with its creation
            plan.rows.append(HistoryRow(first.line, plan.key, first.launch_name, plan.created_at, plan.created_by,
                                        CREATED, None, first.launch_name))
    for row in rows:
        if is_creation_value(row, plan.created_at) and launch is None:
            plan.state[STATE_FIELDS[row.field]] = _value(STATE_FIELDS[row.field], row.new)
        elif row.identity in seen or is_creation_value(row, plan.created_at):
            plan.already += 1
        else:
            seen.add(row.identity)
            plan.rows.append(row)
            if (attribute := STATE_FIELDS.get(row.field)) and (last is None or row.at > last):
                plan.state[attribute] = _value(attribute, row.new)
    if launch is None:
        plan.state["updated_at"] = rows[-1].at
    else:
        plan.state = {name: value for name, value in plan.state.items() if getattr(launch, name) != value}
    return plan


def _value(attribute: str, text: str | None) -> Any:
    """A history value as the launch holds it (the rows were checked on reading)."""
    if text is None:
        return None
    match attribute:
        case "stage":
            return Stage(text)
        case "risk":
            return Risk(text)
        case "target_date":
            return date.fromisoformat(text)
    return text


def _name_problems(session: Session, plans: list[_Plan], launches: dict[str, Launch], source: str) -> list[str]:
    """Each launch must answer to its key and name alone, and not to a component's name (it would take that
    component's releases, subscriptions and digest filters over), as when a launch is made in Slack."""
    named = [plan for plan in plans if plan.launch is None or "name" in plan.state]
    claims: dict[str, set[str]] = {}
    for launch in launches.values():
        for word in (launch.key, launch.name_key):
            claims.setdefault(word, set()).add(launch.key)
    for plan in named:
        if plan.launch is not None:
            claims[plan.launch.name_key].discard(plan.key)
        for word in (plan.key, slugify(plan.name)):
            claims.setdefault(word, set()).add(plan.key)
    components = _component_words(session)
    released = _released_under(session, [slugify(plan.name) for plan in named])
    problems = []
    for plan in named:
        name_key = slugify(plan.name)
        others = sorted((claims[plan.key] | claims[name_key]) - {plan.key})
        where = f"{source}:{plan.line}: launch {plan.key} (“{plan.name}”)"
        if others:
            problems.append(f"{where}: launch {others[0]} answers to that name too; rename one of them")
        elif components & {plan.key, name_key} or (name_key != plan.key and name_key in released):
            problems.append(f"{where}: a component is called that; give the launch a name of its own")
    return problems


def _component_words(session: Session) -> set[str]:
    words: set[str] = set()
    for key, name, aliases in session.exec(select(Component.key, Component.name, Component.aliases)):
        words |= {slugify(spelling) for spelling in (key, name, *aliases)}
    return words


def _released_under(session: Session, words: list[str]) -> set[str]:
    found: set[str] = set()
    for start in range(0, len(words), CHUNK):
        found |= set(session.exec(select(Release.component).distinct()
                                  .where(col(Release.component).in_(words[start:start + CHUNK]))))
    return found


def _write_launches(session: Session, plans: list[_Plan]) -> dict[str, int]:
    """New launches in one multi-row insert, changed ones updated; the id of every launch by key."""
    new = [{"key": plan.key, "name_key": slugify(plan.name), "created_by": plan.created_by, **plan.state}
           for plan in plans if plan.launch is None]
    if new:
        session.execute(insert(Launch.__table__), new)  # Core: one executemany, not a statement a row
    for plan in plans:
        if plan.launch is None or not (plan.state or plan.rows):
            continue
        launch = plan.launch
        for name, value in plan.state.items():
            setattr(launch, name, value)
        if "name" in plan.state:
            launch.name_key = slugify(launch.name)
        if "channel_id" in plan.state:
            launch.thread_ts = None  # that thread is in the old channel
        launch.updated_at = max(launch.updated_at, plan.rows[-1].at) if plan.rows else launch.updated_at
        session.add(launch)
    session.flush()
    return dict(session.exec(select(Launch.key, Launch.id)).all())


def _write_changes(session: Session, plans: list[_Plan], ids: dict[str, int], *, total: int,
                   progress: Progress | None) -> None:
    rows = [{"launch_id": ids[plan.key], "at": row.at, "actor_id": row.actor, "field": row.field,
             "old_value": row.old, "new_value": row.new} for plan in plans for row in plan.rows]
    done = max(0, total - len(rows))  # rows already there are done; a launch's added `created` row is extra
    for start in range(0, len(rows), CHUNK):
        chunk = rows[start:start + CHUNK]
        session.execute(insert(LaunchChange.__table__), chunk)
        done = min(total, done + len(chunk))
        if progress:
            progress(done, total)
    if progress and not rows:
        progress(total, total)
