"""Sign-offs as a launch sees them: the tally its card and the board show, and the gate that holds a launch
back from `ready` and `launched` until everyone asked has approved (an admin may override, with a reason).

The requests themselves are asked and answered in bot/signoffs; this reads their rows and nothing more.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.errors import InvalidInput, NotAllowed
from bot.launches.fields import one_line
from bot.launches.models import Launch, LaunchChange, Stage
from bot.launches.signoff_models import OVERRIDE_FIELD, Answer, SignoffRequest

GATED_STAGES = (Stage.READY, Stage.LAUNCHED)
OVERRIDE_FLAG = "--override"  # `/launch set q4 stage launched --override "legal signed on paper"`
MAX_REASON = 500  # a history value's length


@dataclass(frozen=True)
class Signoffs:
    """One launch's sign-off requests, in the order they were asked."""

    requests: list[SignoffRequest] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.requests)

    @property
    def approved(self) -> int:
        return sum(r.answer == Answer.APPROVED for r in self.requests)

    @property
    def pending(self) -> list[SignoffRequest]:
        return [r for r in self.requests if r.answer == Answer.PENDING]

    @property
    def changes_asked(self) -> list[SignoffRequest]:
        return [r for r in self.requests if r.answer == Answer.CHANGES]

    @property
    def complete(self) -> bool:
        return self.approved == self.total

    @property
    def missing(self) -> str:
        """Who holds the launch back, in words: "Waiting for sign-off from Legal, @ben; Security asked for
        changes: the DPA is unsigned"."""
        parts = []
        if self.pending:
            parts.append(f"Waiting for sign-off from {', '.join(r.label for r in self.pending)}")
        parts += [f"{r.label} asked for changes" + (f": {r.reason}" if r.reason else "") for r in self.changes_asked]
        return "; ".join(parts)


class SignoffsMissing(NotAllowed):
    """A launch set to `ready` or `launched` before everyone asked has approved."""


def signoffs_of(session: Session, launch_ids: Iterable[int | None]) -> dict[int, Signoffs]:
    """Each launch's sign-offs, in one statement whatever the number of launches (the board, digests)."""
    rows = session.exec(select(SignoffRequest).where(col(SignoffRequest.launch_id).in_(list(launch_ids)))
                        .order_by(SignoffRequest.launch_id, SignoffRequest.requested_at, SignoffRequest.id)).all()
    found: dict[int, Signoffs] = {}
    for request in rows:
        found.setdefault(request.launch_id, Signoffs()).requests.append(request)
    return found


def hold_back(
    session: Session,
    *,
    launch: Launch,
    stage: Stage,
    override: str | None,
    actor_id: str,
    admins: Collection[str],
    now: datetime,
) -> LaunchChange | None:
    """Refuse moving `launch` to a gated `stage` while a sign-off is missing, naming who; with an admin's
    override, the history row that records it. None when nothing holds the launch back."""
    if stage not in GATED_STAGES or stage == launch.stage:
        return None
    signoffs = signoffs_of(session, [launch.id]).get(launch.id, Signoffs())
    if signoffs.complete:
        return None
    if override is None:
        raise SignoffsMissing(
            f"“{launch.name}” can't be {stage.value} yet. {signoffs.missing}. A Herald admin can override: "
            f"`/launch set {launch.name} stage {stage.value} {OVERRIDE_FLAG} \"reason\"`.")
    if admins and actor_id not in admins:
        raise NotAllowed(f"Only a Herald admin can override missing sign-offs. {signoffs.missing}.")
    return LaunchChange(launch_id=launch.id, at=now, actor_id=actor_id, field=OVERRIDE_FIELD,
                        old_value=signoffs.missing[:MAX_REASON], new_value=override)


def override_reason(words: list[str]) -> tuple[list[str], str | None]:
    """`… --override "reason"` as typed: the words before the flag, and the reason (None without the flag)."""
    if OVERRIDE_FLAG not in words:
        return words, None
    at = words.index(OVERRIDE_FLAG)
    reason = one_line(" ".join(words[at + 1:]), "An override's reason")
    if not any(c.isalnum() for c in reason):  # "", or only a zero-width space, says nothing
        raise InvalidInput(f"Say why you override: `{OVERRIDE_FLAG} \"legal signed on paper\"`.")
    if len(reason) > MAX_REASON:
        raise InvalidInput(f"An override's reason can be at most {MAX_REASON} characters; yours has {len(reason)}.")
    return words[:at], reason
