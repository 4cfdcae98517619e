"""The in-memory fuzzy index of the ownership directory: built once, rebuilt only when the table changes."""

from __future__ import annotations

import threading
from collections import defaultdict
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from rapidfuzz import fuzz, process, utils
from sqlalchemy import Engine, update
from sqlmodel import Session, select

from bot.directory.models import Component, DirectoryVersion

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
    their terms are scored against the whole query, in one rapidfuzz call. Every change to the
    directory bumps one version row (`touch`), so a query costs reading that row, not a scan.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._signature: int | None = None
        self._entries: dict[int, _Entry] = {}
        self._vocabulary: list[str] = []
        self._holders: dict[str, set[int]] = {}

    def search(self, session: Session, query: str, *, limit: int = 4) -> list[Match]:
        self._refresh(session)
        wanted = utils.default_process(query)
        if not wanted:
            return []
        scores = self._scores(wanted, self._candidates(wanted.split()))
        ranked = sorted(scores, key=lambda i: (-scores[i], len(self._entries[i].name), self._entries[i].name))
        return [Match(i, self._entries[i].name, scores[i]) for i in ranked[:limit]]

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

    def _scores(self, wanted: str, candidates: list[int]) -> dict[int, float]:
        """Each candidate's best term score, scoring every distinct term once."""
        holders: dict[str, list[int]] = {}
        for component_id in candidates:
            for term in self._entries[component_id].terms:
                holders.setdefault(term, []).append(component_id)
        scores: dict[int, float] = {}
        for term, score, _ in process.extract(wanted, list(holders), scorer=fuzz.WRatio, processor=None,
                                              limit=None, score_cutoff=RESULT_CUTOFF):
            for component_id in holders[term]:
                scores[component_id] = max(scores.get(component_id, 0.0), score)
        return scores

    def _refresh(self, session: Session) -> None:
        signature = session.exec(select(DirectoryVersion.version)).first()
        if signature is not None and signature == self._signature:
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


_indexes: WeakKeyDictionary[Engine, DirectoryIndex] = WeakKeyDictionary()


def index_for(engine: Engine) -> DirectoryIndex:
    """This process's index of a store's directory: one per store, kept as long as its engine."""
    return _indexes.setdefault(engine, DirectoryIndex())


def touch(session: Session) -> None:
    """Tell every replica's index that the directory changed."""
    bumped = session.exec(update(DirectoryVersion).values(version=DirectoryVersion.version + 1)).rowcount
    if not bumped:
        session.add(DirectoryVersion(id=1, version=1))
        session.flush()
