"""How the benchmarks measure and say what they measured.

Percentiles, a stopwatch, SQL statements (and the time spent executing them) counted with SQLAlchemy's
"before_cursor_execute" / "after_cursor_execute" engine events, ORM objects loaded counted with mapper
"load" events, and the lines every report shares. Nothing here changes the code being measured: the
events are SQLAlchemy's own hooks, and timing wraps calls from the outside.
"""

from __future__ import annotations

import os
import platform
import statistics
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy


def percentile(values: list[float], p: int) -> float:
    """The p-th percentile (1..99), inclusive method; a single value is every percentile of itself."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[p - 1]


def p50_p99(values: list[float]) -> tuple[float, float]:
    return percentile(values, 50), percentile(values, 99)


class Stopwatch:
    """`with Stopwatch() as watch: ...` then watch.seconds (or watch.ms): perf_counter around the block."""

    seconds = 0.0

    def __enter__(self) -> Stopwatch:
        self._started = time.perf_counter()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.seconds = time.perf_counter() - self._started

    @property
    def ms(self) -> float:
        return self.seconds * 1000


@dataclass
class Tally:
    """What ran on an engine while counting: statements, seconds inside the driver, ORM objects loaded."""

    statements: int = 0
    sql_seconds: float = 0.0
    loads: Counter[str] = field(default_factory=Counter)


class StatementCounter:
    """Counts the statements an engine executes, and their time, while a `counting()` block is open.

    Listens to the engine's before/after_cursor_execute events (and handle_error, so a failed statement
    does not leave a timer running). Every statement on the engine counts, whichever session or task
    runs it. Blocks do not nest.
    """

    def __init__(self, engine: sqlalchemy.Engine) -> None:
        self.engine = engine
        self.tally: Tally | None = None
        self._started: list[float] = []
        sqlalchemy.event.listen(engine, "before_cursor_execute", self._before)
        sqlalchemy.event.listen(engine, "after_cursor_execute", self._after)
        sqlalchemy.event.listen(engine, "handle_error", self._failed)

    @contextmanager
    def counting(self, tally: Tally | None = None) -> Iterator[Tally]:
        """Count into `tally` (a new one by default) until the block ends; an existing tally adds up."""
        self.tally = tally if tally is not None else Tally()
        self._started.clear()
        try:
            yield self.tally
        finally:
            self.tally = None

    def _before(self, *_args: Any) -> None:
        if self.tally is not None:
            self.tally.statements += 1
            self._started.append(time.perf_counter())

    def _after(self, *_args: Any) -> None:
        if self.tally is not None and self._started:
            self.tally.sql_seconds += time.perf_counter() - self._started.pop()

    def _failed(self, *_args: Any) -> None:
        if self._started:
            self._started.pop()


@contextmanager
def counting_loads(tally: Tally, classes: Iterable[type]) -> Iterator[Tally]:
    """ORM objects of `classes` loaded inside the block, by class name (mapper "load" events). It costs: not
    for timed runs."""

    def loaded(target: Any, _context: Any) -> None:
        tally.loads[type(target).__name__] += 1

    classes = list(classes)
    for cls in classes:
        sqlalchemy.event.listen(cls, "load", loaded)
    try:
        yield tally
    finally:
        for cls in classes:
            sqlalchemy.event.remove(cls, "load", loaded)


def machine() -> str:
    """Where the figures were measured: `Python 3.12.3, Linux, 8 CPUs`."""
    return f"Python {platform.python_version()}, {platform.system()}, {os.cpu_count()} CPUs"


def verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def beside_floor(value_ms: float, floor_ms: float) -> str:
    """A figure beside the floor measured in the same run: `12.30 ms, 1.40x the floor (8.79 ms)`."""
    return f"{value_ms:.2f} ms, {value_ms / floor_ms:.2f}x the floor ({floor_ms:.2f} ms)"


def spread(values: Iterable[int]) -> str:
    """`7` when every value is 7, `7-9` otherwise: statement counts that should not vary."""
    found = sorted(set(values))
    return str(found[0]) if len(found) == 1 else f"{found[0]}-{found[-1]}"
