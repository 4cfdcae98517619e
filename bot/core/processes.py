"""A worker process for CPU-heavy work after the ack, so it never holds the interpreter's lock against the
event loop that acks everyone else's commands (threads would: bench/insights.py measured the ack's p99 at
4x the bare-Bolt floor with the figures and chart in threads)."""

from __future__ import annotations

import atexit
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from functools import cache

from sqlalchemy import Engine

from bot.core.db import make_engine


@cache
def worker_process() -> ProcessPoolExecutor:
    """The one worker process, started on first use; spawned, not forked from a process running threads and a
    loop. What it runs must be importable functions of plain, picklable values."""
    worker = ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("spawn"))
    atexit.register(worker.shutdown, cancel_futures=True)
    return worker


@cache
def engine_for(database_url: str) -> Engine:
    """Inside the worker process: one engine per store, made on first use and kept."""
    return make_engine(database_url)
