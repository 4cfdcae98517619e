"""Launches as plain rows for `herald export launches`: one per launch, ready for CSV or JSON."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

from sqlmodel import Session, select

from bot.launches.models import ChecklistItem, Launch

# The columns of a row, in the order a spreadsheet shows them; JSON rows add `checklist`.
LAUNCH_COLUMNS = ("key", "name", "stage", "owner", "channel", "target", "risk", "risk_reason",
                  "checklist_done", "checklist_total", "created", "updated")


def launch_rows(session: Session, *, with_checklist: bool = False) -> Iterator[dict[str, Any]]:
    """Each launch in key order, one at a time; the checklists are read in one query up front."""
    checklists: dict[int, list[ChecklistItem]] = {}
    for item in session.exec(select(ChecklistItem).order_by(ChecklistItem.launch_id, ChecklistItem.position)):
        checklists.setdefault(item.launch_id, []).append(item)
    for launch in session.exec(select(Launch).order_by(Launch.key)):
        items = checklists.get(launch.id, [])
        row = {
            "key": launch.key,
            "name": launch.name,
            "stage": str(launch.stage),
            "owner": launch.owner_id,
            "channel": launch.channel_id,
            "target": launch.target_date.isoformat() if launch.target_date else None,
            "risk": str(launch.risk),
            "risk_reason": launch.risk_reason,
            "checklist_done": sum(item.done for item in items),
            "checklist_total": len(items),
            "created": iso_time(launch.created_at),
            "updated": iso_time(launch.updated_at),
        }
        if with_checklist:
            row["checklist"] = [{"label": item.label, "done": item.done, "done_by": item.done_by,
                                 "done_at": iso_time(item.done_at)} for item in items]
        yield row


def iso_time(moment: datetime | None) -> str | None:
    """ISO 8601 with the offset: SQLite hands stored UTC times back without their zone."""
    if moment is None:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).isoformat()
