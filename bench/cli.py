"""What every benchmark's command line shares: --database-url (the store) and --seed, and quiet logging."""

from __future__ import annotations

import argparse
import logging


def parser(doc: str, *, seed: str) -> argparse.ArgumentParser:
    """A parser described by the script's first docstring paragraph; `seed` says what the seed draws."""
    logging.basicConfig(level=logging.WARNING)
    found = argparse.ArgumentParser(description=doc.split("\n\n")[0])
    found.add_argument("--database-url", help="a PostgreSQL server URL: the run's scratch database(s) are created "
                       "on it and dropped after; default: temporary SQLite files")  # fmt: skip
    found.add_argument("--seed", type=int, default=7, help=f"random seed for {seed} (default 7)")
    return found
