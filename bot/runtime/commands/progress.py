"""The progress bar imports draw on stderr while they write, when a person is watching (stderr is a terminal)."""

from __future__ import annotations

import sys

WIDTH = 30


def progress_bar(done: int, total: int) -> None:
    if not sys.stderr.isatty():
        return
    filled = WIDTH * done // max(total, 1)
    end = "\n" if done == total else ""
    print(f"\rimporting [{'#' * filled}{'.' * (WIDTH - filled)}] {done:,}/{total:,}", end=end, file=sys.stderr,
          flush=True)
