"""What a person's App Home shows: their launches, what is at risk, what they own, what ships next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, col, select

from bot import directory
from bot.launches import ATTENTION_ORDER
from bot.models import Component, Launch, Release, Risk, Stage

LISTED = 10


@dataclass(frozen=True)
class HomeData:
    mine: list[Launch]
    at_risk: list[Launch]
    owned: list[Component]
    upcoming: list[Release]


def home(session: Session, *, user_id: str, now: datetime) -> HomeData:
    active = col(Launch.stage).in_([stage for stage in Stage if stage.is_active])
    mine = session.exec(select(Launch).where(active, Launch.owner_id == user_id)
                        .order_by(col(Launch.target_date).is_(None), Launch.target_date).limit(LISTED)).all()
    at_risk = session.exec(select(Launch).where(active, Launch.risk != Risk.ON_TRACK)
                           .order_by(ATTENTION_ORDER, Launch.target_date).limit(LISTED)).all()
    upcoming = session.exec(select(Release).where(col(Release.announce_at) > now, col(Release.withdrawn).is_(False))
                            .order_by(Release.announce_at).limit(LISTED)).all()
    return HomeData(list(mine), list(at_risk), directory.owned_by_person(session, user_id)[:LISTED], list(upcoming))
