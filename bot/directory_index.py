"""The in-memory fuzzy index of the ownership directory: built once, rebuilt only when the table changes."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass

from rapidfuzz import fuzz, process, utils
from sqlalchemy import func
from sqlmodel import Session, select

from bot.models import Component

TOKEN_CUTOFF = 75  # "biling" → "billing" is 92, "api" → "ui" is 80, "bill" → "billing" is 73
RESULT_CUTOFF = 60
CANDIDATES = 200


@dataclass(frozen=True)
class Match:
    component_id: int
    name: str
    score: float


@dataclass
class _Entry:
    name: str
    terms: list[str]  # processed name, key, aliases and tags


class DirectoryIndex:
    """Names, aliases and tags of every component, searchable in a few milliseconds.

    Typos are matched word by word against the vocabulary of all words (a few thousand, not tens
    of thousands of terms), candidates are the components holding the matched words, and only
    those are scored against the whole query. The table's row count and newest `updated_at` tell
    whether another process changed it, so a query costs one indexed statement, not a scan.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signature: tuple[int, object] | None = None
        self._entries: dict[int, _Entry] = {}
        self._vocabulary: list[str] = []
        self._holders: dict[str, set[int]] = {}

    def search(self, session: Session, query: str, *, limit: int = 4) -> list[Match]:
        self._refresh(session)
        wanted = utils.default_process(query)
        if not wanted:
            return []
        candidates = self._candidates(wanted.split())
        scored = [(self._score(wanted, self._entries[i]), i) for i in candidates]
        ranked = sorted(
            ((score, i) for score, i in scored if score >= RESULT_CUTOFF),
            key=lambda item: (-item[0], len(self._entries[item[1]].name), self._entries[item[1]].name),
        )
        return [Match(i, self._entries[i].name, score) for score, i in ranked[:limit]]

    def _candidates(self, words: list[str]) -> list[int]:
        """Components holding words like the query's, those matching most query words first."""
        weight: defaultdict[int, float] = defaultdict(float)
        for word in words:
            similar = process.extract(
                word, self._vocabulary, scorer=fuzz.ratio, processor=None, limit=10, score_cutoff=TOKEN_CUTOFF
            )
            for token, score, _ in similar:
                for component_id in self._holders[token]:
                    weight[component_id] += score
        return sorted(weight, key=weight.__getitem__, reverse=True)[:CANDIDATES]

    @staticmethod
    def _score(wanted: str, entry: _Entry) -> float:
        return max(fuzz.WRatio(wanted, term, processor=None) for term in entry.terms)

    def _refresh(self, session: Session) -> None:
        signature = tuple(session.exec(select(func.count(), func.max(Component.updated_at))).one())
        if signature == self._signature:
            return
        with self._lock:
            rows = session.exec(
                select(Component.id, Component.name, Component.key, Component.aliases, Component.tags)
            ).all()
            entries: dict[int, _Entry] = {}
            holders: defaultdict[str, set[int]] = defaultdict(set)
            for component_id, name, key, aliases, tags in rows:
                terms = sorted({t for t in map(utils.default_process, [name, key, *aliases, *tags]) if t})
                entries[component_id] = _Entry(name, terms)
                for term in terms:
                    for token in term.split():
                        holders[token].add(component_id)
            self._entries, self._holders, self._vocabulary = entries, dict(holders), list(holders)
            self._signature = signature
