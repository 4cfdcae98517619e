"""Who may announce, edit and withdraw a release (the README's table): checked in the domain, on every surface.

Webhooks are not asked: their secret is their permission. Nor is the CLI: whoever runs it holds the store.
"""

from __future__ import annotations

from sqlmodel import Session, select

from bot.core.errors import NotAllowed
from bot.core.roles import Roles
from bot.directory.entries import component_owners
from bot.directory.models import Component
from bot.launches.models import Launch
from bot.releases.models import LAUNCH_SOURCE, Release


def owners_of(session: Session, key: str, *, release: Release | None = None) -> set[str]:
    """A component's owners from the directory, else a launch's owner and creator: of the launch's own
    releases, and of new ones unless another source (CI, GitHub) releases under that name too, so that
    naming a launch after someone's component claims nothing."""
    component = session.exec(select(Component).where(Component.key == key)).first()
    if component is not None:
        return component_owners(session, component)
    launch = session.exec(select(Launch).where(Launch.key == key)).first()
    if launch is None or release is not None and release.source != LAUNCH_SOURCE:
        return set()
    others = session.exec(select(Release.id).where(Release.component == key, Release.source != LAUNCH_SOURCE)).first()
    return set() if others else {who for who in (launch.owner_id, launch.created_by) if who}


def check_may_announce(session: Session, key: str, name: str, actor_id: str, roles: Roles, *,
                       release: Release | None = None) -> None:
    if roles.open or actor_id in roles.admins | roles.announcers or actor_id in owners_of(session, key,
                                                                                         release=release):
        return
    raise NotAllowed(f"Only the owners of {name}, Herald's announcers or an admin can announce its releases.")


def check_may_edit(session: Session, release: Release, actor_id: str, roles: Roles) -> None:
    """Whoever recorded it may too: a CLI or CI release has no Slack recorder, so only the others may."""
    if actor_id == release.created_by:
        return
    try:
        check_may_announce(session, release.component, release.component_name, actor_id, roles, release=release)
    except NotAllowed:
        raise NotAllowed(f"Only whoever recorded {release.component_name} {release.version}, its owners, Herald's "
                         "announcers or an admin can edit or withdraw it.") from None
