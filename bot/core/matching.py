"""Fuzzy matching of what people type against names Herald knows."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping

from rapidfuzz import fuzz, process, utils


def slugify(text: str) -> str:
    """A stable key for a name: lower case, letters and digits of any script, dashes between."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return re.sub(r"[\W_]+", "-", text).strip("-")


def closest(query: str, choices: Mapping[int, str], *, limit: int = 5, cutoff: float = 60) -> list[int]:
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
