"""Asking again: an unanswered sign-off is nudged 5 and 2 days before the launch's target (settings), by DM.

Each person gets at most one nudge a day, listing every sign-off still waiting for them, at 10:00 their own
time (a run between 10:00 and 18:00 catches up; the zone is users.info's `tz`, Herald's own zone when Slack
gives none), never on their Saturday or Sunday: a nudge due on a weekend comes the Friday before.

Only people are nudged: a person asked, or a member asked for a user group or a team (their DM asks). A
team asked in its channel is not nudged there. A nudge is claimed by inserting SignoffNudge(person, their
day) with ON CONFLICT DO NOTHING, so replicas running at once send it once; sent_at is set after the post.
A post Slack refuses is logged and its claim kept, so a person Herald cannot DM is not retried every run —
except when Slack is rate limiting, when the claim is given back for the next run. A post with no answer
keeps its claim too: it may have arrived, and a second nudge is worse than a missed one.

A run takes a fixed number of statements however many launches wait: one read, one claim, one read of
what to list, and one write each for sent_at, the history rows and claims given back.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from sqlalchemy import delete, insert, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.core.messaging import Messenger, SlackRefused, SlackUncertain
from bot.core.render import Message
from bot.core.slack_ids import is_user_id
from bot.launches.models import Launch, LaunchChange, Stage
from bot.launches.signoff_models import NUDGE_FIELD, Answer, SignoffAsk, SignoffNudge, SignoffRequest

log = logging.getLogger(__name__)

SEND_FROM, SEND_UNTIL = time(10), time(18)  # a person's local hours a nudge may go out in
FRIDAY, WEEKEND = 4, (5, 6)
TEMPLATE = "signoffs/nudge.json.j2"


class TimeZones(Protocol):
    async def zones(self, user_ids: Iterable[str]) -> dict[str, ZoneInfo | None]:
        """Each person's zone as Slack has it (None: it has none); one Slack did not answer about is left out."""


@dataclass(frozen=True)
class Waiting:
    """A sign-off waiting for one person's answer: the request, its launch, and whom it reached."""

    request_id: int
    label: str
    requested_by: str
    launch_id: int
    launch_key: str
    launch_name: str
    target: date | None
    recipient: str


@dataclass
class Nudge:
    recipient: str
    day: date  # the person's own day: one nudge each
    due: list[Waiting]  # the sign-offs whose nudge day it is
    claim_id: int | None = None
    waiting: list[Waiting] = field(default_factory=list)  # everything still waiting for them, listed in the DM
    message: Message | None = None


@dataclass(frozen=True)
class Report:
    due: int  # people whose nudge it is now
    sent: int
    claimed_elsewhere: int  # already sent today, by this replica or another


class NudgeRunner:
    def __init__(self, herald: Herald, *, zones: TimeZones, messenger: Messenger | None = None) -> None:
        self.herald = herald
        self.zones = zones
        self.messenger = messenger or herald.messenger

    async def run(self, now: datetime | None = None) -> Report:
        """Send the nudges due now, each once whatever other replicas do."""
        now = now or self.herald.clock()
        days = self.herald.settings.signoff_nudge_days
        waiting = await asyncio.to_thread(self._waiting_near_targets, now, days)
        if not waiting:
            return Report(0, 0, 0)
        zones = await self.zones.zones({w.recipient for w in waiting})
        due = due_nudges(waiting, now=now, zones=zones, default=self.herald.settings.zone, days=days)
        claimed = await asyncio.to_thread(self._claim, due, now) if due else []
        sent, given_back = [], []
        for nudge in claimed:
            outcome = await self._post(nudge)
            if outcome == "sent":
                sent.append(nudge)
            elif outcome == "again":
                given_back.append(nudge)
        if sent or given_back:
            await asyncio.to_thread(self._record, sent, given_back, self.herald.clock())
        return Report(len(due), len(sent), len(due) - len(claimed))

    def _waiting_near_targets(self, now: datetime, days: tuple[int, ...]) -> list[Waiting]:
        """Pending sign-offs reaching a person with a target near a nudge day somewhere on Earth (a local day
        is the UTC day ± 1; a Friday also covers its weekend)."""
        today = now.date()
        first, last = today - timedelta(days=1) + timedelta(days=min(days)), today + timedelta(days=max(days) + 3)
        with session_scope(self.herald.engine) as session:
            return [w for w in _waiting(session, Launch.target_date.between(first, last)) if is_user_id(w.recipient)]

    def _claim(self, due: list[Nudge], now: datetime) -> list[Nudge]:
        """Insert every nudge's claim in one statement; those inserted are ours, rendered with all that waits."""
        with session_scope(self.herald.engine) as session:
            dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
            rows = [{"recipient": n.recipient, "day": n.day, "claimed_at": now} for n in due]
            statement = dialect.insert(SignoffNudge).values(rows).on_conflict_do_nothing(
                index_elements=[SignoffNudge.recipient, SignoffNudge.day])
            ours = {(r, d): i for i, r, d in session.execute(statement.returning(
                SignoffNudge.id, SignoffNudge.recipient, SignoffNudge.day)).all()}
            claimed = [n for n in due if (n.recipient, n.day) in ours]
            if not claimed:
                return []
            everything = defaultdict(list)
            for w in _waiting(session, col(SignoffAsk.recipient).in_([n.recipient for n in claimed])):
                everything[w.recipient].append(w)
            for nudge in claimed:
                nudge.claim_id = ours[(nudge.recipient, nudge.day)]
                nudge.waiting = sorted(everything[nudge.recipient] or nudge.due, key=_by_target)
                nudge.message = self.herald.renderer.message(TEMPLATE, nudge=nudge, day=nudge.day)
        return claimed

    async def _post(self, nudge: Nudge) -> str:
        try:
            await self.messenger.post(nudge.recipient, {"unfurl_links": False, **nudge.message})
        except SlackRefused as refused:
            if refused.rate_limited:
                return "again"
            log.warning("sign-off nudge to %s not sent, not retried today: %s", nudge.recipient, refused.reason)
            return "refused"
        except SlackUncertain as error:
            log.warning("sign-off nudge to %s may or may not have arrived; not sent again: %s", nudge.recipient, error)
            return "uncertain"
        return "sent"

    def _record(self, sent: list[Nudge], given_back: list[Nudge], now: datetime) -> None:
        """Sent nudges get their time and a history row per sign-off they reminded of; rate-limited ones go back."""
        with session_scope(self.herald.engine) as session:
            if sent:
                session.execute(update(SignoffNudge).where(col(SignoffNudge.id).in_([n.claim_id for n in sent]))
                                .values(sent_at=now))
                session.execute(insert(LaunchChange), [
                    {"launch_id": w.launch_id, "at": now, "actor_id": w.requested_by, "field": NUDGE_FIELD,
                     "new_value": f"{w.label}: reminded {n.recipient}"[:500]}
                    for n in sent for w in n.due])
            if given_back:
                session.execute(delete(SignoffNudge).where(col(SignoffNudge.id).in_([n.claim_id for n in given_back])))


def due_nudges(waiting: list[Waiting], *, now: datetime, zones: dict[str, ZoneInfo | None], default: ZoneInfo,
               days: tuple[int, ...]) -> list[Nudge]:
    """The people whose nudge it is at `now` in their own zone, each with the sign-offs due that day."""
    by_person: dict[str, list[Waiting]] = defaultdict(list)
    for w in waiting:
        by_person[w.recipient].append(w)
    nudges = []
    for person, theirs in sorted(by_person.items()):
        if person not in zones:
            continue  # Slack did not answer about them: their 10:00 is known next run
        local = now.astimezone(zones[person] or default)
        if local.weekday() in WEEKEND or not SEND_FROM <= local.time() < SEND_UNTIL:
            continue
        covered = days_covered(local.date())
        due = [w for w in theirs if w.target and any((w.target - day).days in days for day in covered)]
        if due:
            nudges.append(Nudge(person, local.date(), sorted(due, key=_by_target)))
    return nudges


def days_covered(day: date) -> list[date]:
    """The days whose nudges go out on `day`: itself, and on a Friday the weekend after it."""
    return [day + timedelta(days=n) for n in range(3 if day.weekday() == FRIDAY else 1)]


def _waiting(session: Session, condition) -> list[Waiting]:
    """Pending requests of launches still to come, one row per place each reached, narrowed by `condition`."""
    rows = session.exec(
        select(SignoffRequest.id, SignoffRequest.label, SignoffRequest.requested_by, Launch.id, Launch.key,
               Launch.name, Launch.target_date, SignoffAsk.recipient)
        .join(Launch, Launch.id == SignoffRequest.launch_id)
        .join(SignoffAsk, SignoffAsk.request_id == SignoffRequest.id)
        .where(SignoffRequest.answer == Answer.PENDING,
               col(Launch.stage).not_in([Stage.LAUNCHED, Stage.CANCELLED]), condition)
        .order_by(SignoffAsk.recipient, SignoffRequest.id)
    ).all()
    return [Waiting(*row) for row in rows]


def _by_target(w: Waiting) -> tuple[date, str]:
    return w.target or date.max, w.launch_name
