"""A launch's history as bench/world.py writes it, generated so that it adds up.

The month before `now` is walked backwards from the launch's current state: each stage move, target
change or risk change undoes itself into the state before it, so the launch's current row is where its
history ends. Older history (before the month) is a "created" row and a few changes digests never show.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta
from typing import Any

from bench.vocabulary import CHANGE_MIX, MONTHLY_CHANGES, RISK_REASONS, STAGE_ORDER, pick
from bot.launches.changes import DEFAULT_CHECKLIST
from bot.launches.models import Risk, Stage

MONTH = timedelta(days=30)


def _noise(rng: random.Random, users: list[str]) -> tuple[str, str | None, str | None]:
    """An owner, channel or checklist change: history digests do not show."""
    kind = rng.choices(("checklist", "owner", "channel"), (70, 15, 15))[0]
    if kind == "owner":
        old, new = rng.sample(users, 2)
        return "owner", old, new
    if kind == "channel":
        return "channel", None, f"C0L{rng.randint(0, 99):06d}"
    return "checklist", None, f"{rng.choice('☑☐')} {rng.choice(DEFAULT_CHECKLIST)}"


def month_history(rng: random.Random, row: dict[str, Any], users: list[str], launched_at: datetime | None,
                  now: datetime) -> list[dict[str, Any]]:  # fmt: skip
    """The launch's changes over the month, walked backwards from its current state so that they add up."""
    stage, target = Stage(row["stage"]), row["target_date"]
    risk, reason = Risk(row["risk"]), row["risk_reason"]
    start = max(row["created_at"], now - MONTH)
    share = (now - start) / MONTH
    count = int(rng.expovariate(1 / (MONTHLY_CHANGES[stage] * share)) + 0.5) if share > 0 else 0
    times = sorted((start + (now - start) * rng.random() for _ in range(count)), reverse=True)
    rows: list[dict[str, Any]] = []

    def add(at: datetime, name: str, old: object, new: object) -> None:
        rows.append({"at": at, "actor_id": rng.choice([row["owner_id"] or users[0]] * 3 + users[:5]),
                     "field": name, "old_value": _text(old), "new_value": _text(new)})  # fmt: skip

    if launched_at is not None:  # the newest stage move: ready -> launched
        add(launched_at, "stage", Stage.READY, Stage.LAUNCHED)
        stage = Stage.READY
        times = [t for t in times if t < launched_at]
    for at in times:
        kind = pick(rng, CHANGE_MIX)
        if kind == "stage" and (stage in STAGE_ORDER[1:4] or stage is Stage.CANCELLED):
            previous = STAGE_ORDER[STAGE_ORDER.index(stage) - 1] if stage in STAGE_ORDER else rng.choice(
                (Stage.PLANNING, Stage.BUILDING))  # fmt: skip
            add(at, "stage", previous, stage)
            stage = previous
        elif kind == "target" and stage.is_active:
            if target is None:
                old = now.date() + timedelta(days=rng.randint(0, 90))
            else:  # mostly slips, a few pull-ins
                old = target - timedelta(days=rng.choice((7, 14, 14, 21, 30, 3, -7, 45)))
            add(at, "target", old, target)
            target = old
        elif kind == "risk" and stage.is_active:
            old_risk = rng.choice([r for r in Risk if r is not risk])
            old_reason = rng.choice(RISK_REASONS) if old_risk is not Risk.ON_TRACK else None
            add(at, "risk", old_risk, risk)
            if old_reason != reason:  # bot.launches records both, as `/launch set X risk ...` does
                add(at, "risk reason", old_reason, reason)
            risk, reason = old_risk, old_reason
        else:
            add(at, *_noise(rng, users))
    if row["created_at"] >= now - MONTH:
        rows.append({"at": row["created_at"], "actor_id": row["created_by"], "field": "created",
                     "old_value": None, "new_value": row["name"]})  # fmt: skip
    return rows


def older_history(rng: random.Random, row: dict[str, Any], users: list[str], now: datetime) -> list[dict[str, Any]]:
    """History from before the month: the "created" row and a few changes, none of them in a digest."""
    month_start = now - MONTH
    if row["created_at"] >= month_start:
        return []
    who = row["created_by"]
    older = [{"at": row["created_at"], "actor_id": who, "field": "created", "old_value": None,
              "new_value": row["name"]}]  # fmt: skip
    for _ in range(int(rng.expovariate(1 / 4))):
        at = row["created_at"] + (month_start - row["created_at"]) * rng.random()
        kind = rng.choice(("target", "stage", "risk", "noise"))
        if kind == "target":
            old = now.date() - timedelta(days=rng.randint(0, 300))
            older.append({"at": at, "actor_id": who, "field": "target", "old_value": old.isoformat(),
                          "new_value": (old + timedelta(days=14)).isoformat()})  # fmt: skip
        elif kind == "risk":
            older.append({"at": at, "actor_id": who, "field": "risk", "old_value": "on_track", "new_value": "at_risk"})
            older.append({"at": at, "actor_id": who, "field": "risk reason", "old_value": None,
                          "new_value": rng.choice(RISK_REASONS)})  # fmt: skip
        else:
            field_name, old_value, new_value = _noise(rng, users)
            older.append({"at": at, "actor_id": who, "field": field_name, "old_value": old_value,
                          "new_value": new_value})  # fmt: skip
    return older


def _text(value: object) -> str | None:
    if isinstance(value, date):
        return value.isoformat()
    return str(value.value) if isinstance(value, Stage | Risk) else value  # type: ignore[return-value]
