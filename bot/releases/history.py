"""A release's history: every edit and withdrawal, field by field, appended with who did it and when."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, select

from bot.releases.models import Release, ReleaseChange


def record_change(session: Session, release: Release, *, actor: str | None, at: datetime, field: str,
                  old: object, new: object) -> None:
    session.add(ReleaseChange(release_id=release.id, at=at, actor=actor, field=field,
                              old_value=_text(old), new_value=_text(new)))


def changes_of(session: Session, release: Release) -> list[ReleaseChange]:
    return list(session.exec(select(ReleaseChange).where(ReleaseChange.release_id == release.id)
                             .order_by(ReleaseChange.at, ReleaseChange.id)).all())


def _text(value: object) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)
