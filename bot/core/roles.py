"""Who may do what beyond their own things: Herald's admins and announcers, from the settings.

With both lists empty Herald stays open, as a small team expects: everyone may do everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.errors import NotAllowed


@dataclass(frozen=True)
class Roles:
    admins: frozenset[str] = frozenset()
    announcers: frozenset[str] = frozenset()

    @property
    def open(self) -> bool:
        return not self.admins and not self.announcers

    def check_setter_or_admin(self, created_by: str | None, actor_id: str, what: str) -> None:
        """A channel's subscriptions and digests belong to whoever set them up; admins may change any."""
        if self.open or actor_id == created_by or actor_id in self.admins:
            return
        raise NotAllowed(f"Only the person who set up {what}, or a Herald admin, can change it.")
