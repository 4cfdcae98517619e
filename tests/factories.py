"""Data builders for tests: launches as the service would store them."""

from __future__ import annotations

from datetime import date

from sqlmodel import Session

from bot.launches import DEFAULT_CHECKLIST
from bot.matching import slugify
from bot.models import ChecklistItem, Launch, LaunchChange, Risk, Stage


def add_launch(
    session: Session,
    name: str,
    *,
    stage: str = "building",
    target: str | None = None,
    owner: str = "U0ANN",
    risk: str = "on_track",
    risk_reason: str | None = None,
    channel: str | None = None,
    done: int = 0,
) -> Launch:
    launch = Launch(
        key=slugify(name),
        name=name,
        stage=Stage(stage),
        target_date=date.fromisoformat(target) if target else None,
        owner_id=owner,
        risk=Risk(risk),
        risk_reason=risk_reason,
        channel_id=channel,
        created_by=owner,
    )
    session.add(launch)
    session.flush()
    session.add_all(
        ChecklistItem(launch_id=launch.id, position=i, label=label, done=i <= done)
        for i, label in enumerate(DEFAULT_CHECKLIST, start=1)
    )
    session.add(LaunchChange(launch_id=launch.id, actor_id=owner, field="created", new_value=name))
    session.commit()
    session.refresh(launch)
    return launch
