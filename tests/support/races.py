"""Making two replicas race deterministically: nothing in Herald is patched, only its store is watched."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy
from sqlalchemy import event


@contextmanager
def meeting_before(engine: sqlalchemy.Engine, statement: str, *, parties: int = 2) -> Iterator[None]:
    """Holds each of the first `parties` statements starting with `statement` until all of them are about to run.

    So every unit of work has looked, found nothing and decided to write, as replicas handling the same thing in
    the same instant do.
    """
    barrier, arrivals = threading.Barrier(parties, timeout=10), itertools.count()

    def hold(_connection, _cursor, sql: str, *_args) -> None:
        if sql.startswith(statement) and next(arrivals) < parties:
            barrier.wait()

    event.listen(engine, "before_cursor_execute", hold)
    try:
        yield
    finally:
        event.remove(engine, "before_cursor_execute", hold)
