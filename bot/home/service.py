"""What a person's App Home shows: their launches, what is at risk, what they own, what ships next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.directory import entries
from bot.directory.models import Component
from bot.launches.models import Launch, Risk, Stage
from bot.launches.read import ATTENTION_ORDER
from bot.releases.models import Release

LISTED = 10


@dataclass(frozen=True)
class HomeData:
    mine: list[Launch]
    at_risk: list[Launch]
    owned: list[Component]
    upcoming: list[Release]


def home(herald: Herald, *, user_id: str) -> HomeData:
    with session_scope(herald.engine) as session:
        return _home(session, user_id=user_id, now=herald.clock())


def _home(session: Session, *, user_id: str, now: datetime) -> HomeData:
    active = col(Launch.stage).in_([stage for stage in Stage if stage.is_active])
    mine = session.exec(select(Launch).where(active, Launch.owner_id == user_id)
                        .order_by(col(Launch.target_date).is_(None), Launch.target_date).limit(LISTED)).all()
    at_risk = session.exec(select(Launch).where(active, Launch.risk != Risk.ON_TRACK)
                           .order_by(ATTENTION_ORDER, Launch.target_date).limit(LISTED)).all()
    upcoming = session.exec(select(Release).where(col(Release.announce_at) > now, col(Release.withdrawn).is_(False))
                            .order_by(Release.announce_at).limit(LISTED)).all()
    return HomeData(list(mine), list(at_risk), entries.owned_by_person(session, user_id)[:LISTED], list(upcoming))
