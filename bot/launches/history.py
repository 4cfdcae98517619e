"""A launch's whole history, newest first, a page at a time: the card shows only the last few changes."""

from __future__ import annotations

import re
from dataclasses import dataclass

from sqlmodel import Session, col, func, select

from bot.core.errors import InvalidInput
from bot.launches.models import Launch, LaunchChange

PAGE_SIZE = 20
# A page or launch id as typed or as a button carries it: ASCII digits only ("²" is a digit to str.isdigit,
# not to int()), and few enough for any database's integers.
NUMBER = "[0-9]{1,18}"


@dataclass(frozen=True)
class HistoryPage:
    launch: Launch
    changes: list[LaunchChange]
    page: int
    total: int

    @property
    def pages(self) -> int:
        return _page_count(self.total)

    @property
    def older(self) -> int | None:
        """The next page back in time, if there is one."""
        return self.page + 1 if self.page < self.pages else None

    @property
    def newer(self) -> int | None:
        """The next page forward in time, if there is one."""
        return self.page - 1 if self.page > 1 else None


def history_page(session: Session, launch: Launch, page: int = 1) -> HistoryPage:
    total = session.exec(select(func.count()).select_from(LaunchChange).where(LaunchChange.launch_id == launch.id)).one()
    pages = _page_count(total)
    if not 1 <= page <= pages:
        raise InvalidInput(f"“{launch.name}” has {pages} page{'s' if pages > 1 else ''} of history; "
                           f"ask for one from 1 to {pages}.")
    changes = session.exec(
        select(LaunchChange).where(LaunchChange.launch_id == launch.id)
        .order_by(col(LaunchChange.at).desc(), col(LaunchChange.id).desc())
        .offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    return HistoryPage(launch, list(changes), page, total)


def page_number(typed: str) -> int | None:
    """The page `typed` names, if it is a number at all (0 is one, and is refused as out of range)."""
    return int(typed) if re.fullmatch(NUMBER, typed) else None


def _page_count(total: int) -> int:
    return max(1, -(-total // PAGE_SIZE))
