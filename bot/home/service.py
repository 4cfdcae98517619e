"""What a person's App Home shows: the sign-offs waiting for them, their launches, what is at risk, what they own,
what ships next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import String, literal
from sqlmodel import Session, col, or_, select

from bot.core.db import session_scope
from bot.core.herald import Herald
from bot.directory import entries
from bot.directory.models import Component, Contact, Team, TeamMember
from bot.launches.models import Launch, Risk, Stage
from bot.launches.read import ATTENTION_ORDER
from bot.launches.signoff_models import Answer, SignoffAsk, SignoffRequest
from bot.releases.models import Release

LISTED = 10


@dataclass(frozen=True)
class HomeData:
    waiting: list[tuple[SignoffRequest, Launch]]  # sign-offs asked of this person, not answered yet
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
    return HomeData(_waiting_for(session, user_id, active), list(mine), list(at_risk), entries.owned_by_person(session, user_id)[:LISTED], list(upcoming))


def _waiting_for(session: Session, user_id: str, active) -> list[tuple[SignoffRequest, Launch]]:
    """Unanswered requests that reach this person: asked of them, DM'd to them (a user group's members), or
    asked of a directory team they belong to (asked in its channel)."""
    their_teams = (select(literal("team:", String) + Team.key).join(TeamMember, col(TeamMember.team_id) == Team.id)
                   .join(Contact, col(Contact.id) == TeamMember.contact_id).where(Contact.slack_user_id == user_id))
    asked_them = select(SignoffAsk.request_id).where(SignoffAsk.recipient == user_id)
    rows = session.exec(
        select(SignoffRequest, Launch).join(Launch, col(SignoffRequest.launch_id) == Launch.id)
        .where(active, SignoffRequest.answer == Answer.PENDING,
               or_(SignoffRequest.who == user_id, col(SignoffRequest.id).in_(asked_them),
                   col(SignoffRequest.who).in_(their_teams)))
        .order_by(col(Launch.target_date).is_(None), Launch.target_date, Launch.name, SignoffRequest.id)
        .limit(LISTED)).all()
    return [(request, launch) for request, launch in rows]
