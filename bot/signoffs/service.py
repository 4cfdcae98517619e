"""Asking the teams a launch depends on to sign it off, and their answers: one unit of work each.

Every request and every answer is a row of the launch's history ("sign-off": "Legal: pending → approved",
and a "sign-off reason" row with what needs changing), written in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.db import session_scope
from bot.core.errors import InvalidInput
from bot.core.herald import Herald
from bot.launches import read
from bot.launches.changes import check_allowed
from bot.launches.fields import one_line
from bot.launches.models import Launch, LaunchChange, Stage
from bot.launches.read import LaunchDetail
from bot.launches.signoff_models import REASON_FIELD, SIGNOFF_FIELD, Answer, SignoffAsk, SignoffRequest
from bot.signoffs.recipients import Target, check_may_answer, resolve

REQUEST_WORD = "request"
MAX_REASON = 500  # characters of a history value
ANSWER_WORDS = {Answer.PENDING: "pending", Answer.APPROVED: "approved", Answer.CHANGES: "needs changes"}


@dataclass(frozen=True)
class Requested:
    """Requests just made, with the asks to post (each with its request), and who had been asked already."""

    detail: LaunchDetail
    requests: list[SignoffRequest]
    asks: list[tuple[SignoffAsk, SignoffRequest]]
    already: list[str]


@dataclass(frozen=True)
class Answered:
    """An answer given: the asks to show it on, and what the launch's owner must hear of."""

    request: SignoffRequest
    detail: LaunchDetail
    asks: list[SignoffAsk]
    changed: bool
    all_approved: bool  # this answer was the last approval the launch waited for

    @property
    def tell_owner(self) -> bool:
        return self.changed and (self.request.answer == Answer.CHANGES or self.all_approved)


@dataclass(frozen=True)
class Status:
    launch: Launch
    requests: list[SignoffRequest]

    def answered(self, answer: Answer) -> list[SignoffRequest]:
        return [request for request in self.requests if request.answer == answer]


def split_request(herald: Herald, words: list[str]) -> tuple[str, list[str]]:
    """`<launch> [request <who>…]`: the launch's name ends where the store says one does."""
    with session_scope(herald.engine) as session:
        return read.split_reference(session, words, before={REQUEST_WORD})


def request(herald: Herald, *, reference: str, targets: list[Target], actor_id: str) -> Requested:
    """Ask each target to sign the launch off; someone asked already is not asked twice."""
    now = herald.clock()
    with session_scope(herald.engine) as session:
        launch = read.find_launch(session, reference)
        check_allowed(launch, actor_id, herald.settings.admins)
        if launch.stage in (Stage.LAUNCHED, Stage.CANCELLED):
            raise InvalidInput(f"“{launch.name}” is {launch.stage}: there is nothing left to sign off.")
        resolved = list({found.who: found for found in (resolve(session, target) for target in targets)}.values())
        existing = {r.who: r for r in _requests(session, launch)}
        made: list[SignoffRequest] = []
        asks: list[tuple[SignoffAsk, SignoffRequest]] = []
        for found in resolved:
            if found.who in existing:
                continue
            signoff = SignoffRequest(launch_id=launch.id, who=found.who, label=found.label, requested_by=actor_id,
                                     requested_at=now)
            session.add(signoff)
            session.flush()
            made.append(signoff)
            asks += [(SignoffAsk(request_id=signoff.id, recipient=recipient), signoff) for recipient in found.recipients]
            session.add(_history(launch, actor_id, now, SIGNOFF_FIELD, None, f"{found.label}: asked"))
        session.add_all(ask for ask, _ in asks)
        session.flush()
        return Requested(read.detail_of(session, launch), made, asks,
                         [existing[found.who].label for found in resolved if found.who in existing])


def record_posted(herald: Herald, ask_id: int, *, channel_id: str, ts: str) -> None:
    """Where an ask landed, so the message can show the answer once there is one."""
    with session_scope(herald.engine) as session:
        ask = session.get(SignoffAsk, ask_id)
        if ask is not None:
            ask.channel_id, ask.ts = channel_id, ts
            session.add(ask)


def may_answer(herald: Herald, request_id: int, *, user_id: str) -> tuple[SignoffRequest, Launch]:
    """The request a Needs changes button names, and its launch, if this person may answer it: no form is
    offered otherwise."""
    with session_scope(herald.engine) as session:
        signoff = _answerable(session, request_id)
        check_may_answer(session, signoff, user_id)
        return signoff, session.get_one(Launch, signoff.launch_id)


def answer(herald: Herald, *, request_id: int, user_id: str, answer: Answer, reason: str | None = None) -> Answered:
    """Approve, or ask for changes with a reason; an answer may change until the launch is launched."""
    try:  # Slack's forms let control characters through (a NUL would fail PostgreSQL)
        reason = one_line(reason or "", "A reason") or None
    except InvalidInput as error:
        raise InvalidInput(str(error), field=REASON_FIELD) from None
    if answer == Answer.CHANGES and not reason:
        raise InvalidInput("Say what needs to change.", field=REASON_FIELD)
    if reason and len(reason) > MAX_REASON:
        raise InvalidInput(f"Keep the reason to {MAX_REASON} characters.", field=REASON_FIELD)
    now = herald.clock()
    with session_scope(herald.engine) as session:
        signoff = _answerable(session, request_id)
        check_may_answer(session, signoff, user_id)
        launch = session.get_one(Launch, signoff.launch_id)
        before = signoff.answer
        changed = before != answer or (answer == Answer.CHANGES and reason != signoff.reason)
        if changed:
            session.add(_history(launch, user_id, now, SIGNOFF_FIELD, f"{signoff.label}: {ANSWER_WORDS[before]}",
                                 f"{signoff.label}: {ANSWER_WORDS[answer]}"))
            if reason:
                session.add(_history(launch, user_id, now, REASON_FIELD, None, reason))
            signoff.answer, signoff.answered_by, signoff.answered_at = answer, user_id, now
            signoff.reason = reason if answer == Answer.CHANGES else None
            session.add(signoff)
            session.flush()
        others = _requests(session, launch)
        asks = session.exec(select(SignoffAsk).where(SignoffAsk.request_id == signoff.id)
                            .order_by(SignoffAsk.id)).all()
        return Answered(signoff, read.detail_of(session, launch), list(asks), changed,
                        all_approved=all(r.answer == Answer.APPROVED for r in others))


def status(herald: Herald, reference: str) -> Status:
    with session_scope(herald.engine) as session:
        launch = read.find_launch(session, reference)
        return Status(launch, _requests(session, launch))


def _answerable(session: Session, request_id: int) -> SignoffRequest:
    signoff = session.get(SignoffRequest, request_id)
    if signoff is None:
        raise InvalidInput("This sign-off is no longer asked for.")
    launch = session.get_one(Launch, signoff.launch_id)
    if launch.stage == Stage.LAUNCHED:
        raise InvalidInput(f"“{launch.name}” has launched: its sign-offs can no longer change.")
    return signoff


def _requests(session: Session, launch: Launch) -> list[SignoffRequest]:
    return list(session.exec(select(SignoffRequest).where(SignoffRequest.launch_id == launch.id)
                             .order_by(col(SignoffRequest.requested_at), col(SignoffRequest.id))).all())


def _history(launch: Launch, actor_id: str, now: datetime, field: str, old: str | None, new: str) -> LaunchChange:
    return LaunchChange(launch_id=launch.id, at=now, actor_id=actor_id, field=field, old_value=old, new_value=new)
