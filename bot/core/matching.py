"""Fuzzy matching of what people type against names Herald knows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from rapidfuzz import fuzz, process, utils

from bot.core.errors import InvalidInput

Id = TypeVar("Id", bound=Hashable)

# How alike a typed name and a known one must be for Herald to ask "did you mean …" rather than take the
# typed name as new (WRatio, 0-100). A typo scores 88-93 (biling → billing 92, chekout → checkout 93,
# paymnets → payments 88), a name that holds the typed one 90 (checkout → checkout-service), a typo of a
# part of a longer name 75 (biling → billing-api); unrelated names stay at 60 or under (nosuch → search 50,
# ui → billing-api 60). A false "did you mean" costs one click on "Use …"; a miss stores a typo for good.
CLOSE = 75


def slugify(text: str) -> str:
    """A stable key for a name: lower case, letters and digits of any script, dashes between."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "-", text).strip("-")


def closest(query: str, choices: Mapping[Id, str], *, limit: int | None = 5, cutoff: float = 60) -> list[Id]:
    """Ids of the choices that look most like `query`, best first."""
    matches = process.extract(
        query,
        choices,
        scorer=fuzz.WRatio,
        processor=utils.default_process,
        limit=limit,
        score_cutoff=cutoff,
    )
    return [choice_id for _text, _score, choice_id in matches]


@dataclass(frozen=True)
class Named:
    """Something Herald knows by name: the key it is stored under, how it is shown, and every spelling of it."""

    key: str
    name: str
    spellings: tuple[str, ...] = ()

    @property
    def spelling(self) -> str:
        """How to write it so that it is found again: its name, unless that slugifies to another key (a path)."""
        return self.name if slugify(self.name) == self.key else self.key


@dataclass(frozen=True)
class Found:
    """What a typed name is: one known thing, or nothing exactly and the known things close to it, best first."""

    exact: Named | None
    close: list[Named]


def find_name(typed: str, known: Iterable[Named], *, limit: int = 5) -> Found:
    """The known thing `typed` spells (case, spaces and punctuation aside), else the ones it looks like.

    Spellings are compared as rapidfuzz prepares them (lower case, punctuation as spaces), not slugified:
    the same for names people type, and a tenth of the time over a directory of thousands of entries.
    """
    known = list(known)
    spellings = {(i, j): _plain(spelling) for i, thing in enumerate(known)
                 for j, spelling in enumerate((thing.name, thing.key, *thing.spellings))}
    wanted = _plain(typed)
    exact = next((known[i] for (i, _j), spelling in spellings.items() if spelling == wanted), None)
    if exact is not None or not wanted:
        return Found(exact, [])
    ranked = closest(wanted, spellings, limit=None, cutoff=CLOSE)
    close = list(dict.fromkeys(i for i, _j in ranked))[:limit]
    return Found(None, [known[i] for i in close])


def _plain(text: str) -> str:
    return " ".join(utils.default_process(text).split())


# Words that empty a field when typed as its value, for launches and directory entries alike.
CLEAR_WORDS = frozenset({"none", "-", "tbd", "clear"})
LISTED = 10  # known names a refusal lists when none is close


@dataclass(frozen=True)
class Resolution:
    """A typed name resolved: the key to store, how to show it, whether Herald knew it, and what was typed."""

    key: str
    name: str
    known: bool
    typed: str

    @property
    def spelling(self) -> str:
        """A spelling that records under its key: as typed when it is one (an alias is not), else the known one."""
        return self.typed if slugify(self.typed) == self.key else Named(self.key, self.name).spelling


def must_exist(kind: str, typed: str, known: list[Named]) -> Resolution:
    """The known thing `typed` names; else refused, saying which ones it looks like (or which there are)."""
    found = find_name(typed, known)
    if found.exact is not None:
        return Resolution(found.exact.key, found.exact.name, known=True, typed=typed)
    if found.close:
        raise InvalidInput(f"I don't know a {kind} “{typed}”. Did you mean {either(c.name for c in found.close)}?")
    listed = sorted(thing.name for thing in known)
    others = f" Known {kind}s: {', '.join(listed[:LISTED])}{', …' if len(listed) > LISTED else ''}." if listed else ""
    raise InvalidInput(f"I don't know a {kind} “{typed}”.{others}")


def either(names: Iterable[str]) -> str:
    """“a”, “a or b”, “a, b or c”."""
    names = list(names)
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
