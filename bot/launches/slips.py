"""Slips: a target date moved later. The one definition the card, the history and digests count by.

A mistaken target put right soon after is a correction, not a slip: it is recorded under its own
field so the history stays honest, and it amends the target move it corrects instead of adding one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlmodel import Session, col, select

from bot.launches.models import Launch, LaunchChange

TARGET = "target"
TARGET_CORRECTION = "target correction"
CORRECTION_WINDOW = timedelta(minutes=10)


@dataclass(frozen=True)
class Slip:
    count: int
    days: int


def slip(target_moves: Iterable[tuple[str, str | None, str | None]]) -> Slip:
    """Slips over a launch's (field, old, new) target changes, oldest first; days add up over every slip.

    Each move is measured from the last target the launch had: a cleared target is a gap, not a new start,
    so 2026-12-01 → none → 2027-03-01 is one slip of 90 days.
    """
    moves: list[list[str | None]] = []
    for field, old, new in target_moves:
        if field == TARGET:
            moves.append([old, new])
        elif field == TARGET_CORRECTION and moves:  # a correction of the creation target amends nothing
            moves[-1][1] = new
    known: str | None = None
    later: list[int] = []
    for old, new in moves:
        known = old or known
        days = _days(known, new)
        if days is not None and days > 0:
            later.append(days)
    return Slip(len(later), sum(later))


def slip_days(change: LaunchChange) -> int | None:
    """Days a target change moved a launch (negative: earlier); None for other changes and for corrections,
    and for a move from no target: on its own it does not show the target before, which `slip` counts from."""
    return _days(change.old_value, change.new_value) if change.field == TARGET else None


def target_moves(session: Session, launch_id: int | None) -> list[tuple[str, str | None, str | None]]:
    return list(session.exec(
        select(LaunchChange.field, LaunchChange.old_value, LaunchChange.new_value)
        .where(LaunchChange.launch_id == launch_id, col(LaunchChange.field).in_((TARGET, TARGET_CORRECTION)))
        .order_by(LaunchChange.at, LaunchChange.id)
    ).all())


def is_correction(session: Session, launch: Launch, old_target: str | None, *, actor_id: str, now: datetime) -> bool:
    """Whether a new target from `actor_id` corrects `old_target`: they made the last target change that was
    no correction (or created the launch) less than ten minutes ago. Measured from that change, not from
    the corrections since, so a chain of corrections cannot keep the window open. Setting a first target
    corrects nothing."""
    if old_target is None:
        return False
    last = session.exec(
        select(LaunchChange.actor_id, LaunchChange.at)
        .where(LaunchChange.launch_id == launch.id, col(LaunchChange.field).in_((TARGET, "created")))
        .order_by(col(LaunchChange.at).desc(), col(LaunchChange.id).desc())
    ).first()
    if last is None:
        return False
    who, at = last
    return who == actor_id and timedelta(0) <= now - at <= CORRECTION_WINDOW


def _days(old: str | None, new: str | None) -> int | None:
    if not old or not new:
        return None
    return (date.fromisoformat(new) - date.fromisoformat(old)).days
