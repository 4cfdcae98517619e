"""Digest schedules: what people type ("daily 09:00 Europe/Berlin") as cron, and the times it fires."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger

from bot.core.errors import InvalidInput
from bot.digests.models import Digest

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
TIME = re.compile(r"(\d{1,2}):(\d{2})")
LOOK_BACK = timedelta(days=8)  # longer than the longest gap a weekly schedule leaves
MIN_GAP = timedelta(minutes=59)
# A digest must come within a year (366 days: a yearly date in a leap year). Every search for a fire
# time stops there: unbounded, APScheduler walks to the year 9999 for a date that never comes (Feb 30),
# about 0.1 s of CPU on the event loop each time.
HORIZON = timedelta(days=366)


@dataclass(frozen=True)
class Schedule:
    cron: str
    timezone: str

    def trigger(self, *, until: datetime | None = None) -> CronTrigger:
        """APScheduler's trigger; `until` ends it, so that a search for a time past it stops there."""
        minute, hour, day, month, day_of_week = self.cron.split()
        return CronTrigger(minute=minute, hour=hour, day=day, month=month, day_of_week=day_of_week,
                           timezone=ZoneInfo(self.timezone), end_date=until)

    def last_fire(self, now: datetime) -> datetime | None:
        """The newest scheduled time at or before `now`, within the last week.

        When clocks go back, a time in the repeated hour comes twice (APScheduler fires at both); it is
        one period, the first, so the digest is not posted twice.
        """
        trigger = self.trigger(until=now)
        # Nearest window first: an hourly schedule's newest time is then one or two steps away, not 192.
        for back in (timedelta(hours=1), timedelta(days=1), LOOK_BACK):
            fire, previous = trigger.get_next_fire_time(None, now - back), None
            while fire is not None:
                # One second on in UTC: on the wall clock, a second after the repeated 02:30 is the first
                # 02:30:01 again, and APScheduler would answer the same time for ever.
                previous, fire = fire, trigger.get_next_fire_time(fire, fire.astimezone(UTC) + timedelta(seconds=1))
            if previous is not None:
                return previous.replace(fold=0)
        return None

    def previous_fire(self, period: datetime) -> datetime:
        """The scheduled time before `period`: where the digest for `period` starts counting."""
        return self.last_fire(period.astimezone(UTC) - timedelta(seconds=1)) or period - LOOK_BACK

    def next_fire(self, now: datetime) -> datetime | None:
        """The next scheduled time after `now`, or None when there is none within a year."""
        return self.trigger(until=now + HORIZON).get_next_fire_time(None, now)

    @property
    def is_weekly(self) -> bool:
        """Once a week, on one day: `weekly mon 09:00`, or a cron naming one day of the week."""
        _minute, _hour, day, month, dow = self.cron.split()
        return day == month == "*" and dow in DAYS

    def describe(self) -> str:
        minute, hour, day, month, dow = self.cron.split()
        if minute.isdigit() and hour.isdigit() and day == month == "*":
            at = f"{int(hour):02}:{int(minute):02} {self.timezone}"
            if dow == "*":
                return f"Daily at {at}"
            if dow == "mon-fri":
                return f"Weekdays at {at}"
            if dow in DAYS:
                return f"Every {dow.capitalize()} at {at}"
        return f"On cron `{self.cron}` ({self.timezone})"


def schedule_of(digest: Digest) -> Schedule:
    return Schedule(digest.cron, digest.timezone)


def parse_schedule(words: list[str], *, default_timezone: str, now: datetime) -> tuple[Schedule, list[str]]:
    """A schedule from the start of `words` that comes within a year of `now`; returns it and the words after it
    (filters, options)."""
    if not words:
        raise InvalidInput("Say when: `daily 09:00`, `weekly mon 09:00`, `weekdays 09:00` or `cron \"0 9 * * 1-5\"`.")
    kind, rest = words[0].lower(), words[1:]
    if kind == "daily":
        cron, rest = _at(rest, "*")
    elif kind == "weekdays":
        cron, rest = _at(rest, "mon-fri")
    elif kind == "weekly":
        if not rest or rest[0].lower()[:3] not in DAYS:
            raise InvalidInput("Say which day: `weekly mon 09:00` (mon, tue, wed, thu, fri, sat or sun).")
        cron, rest = _at(rest[1:], rest[0].lower()[:3])
    elif kind == "cron":
        cron, rest = _cron(rest)
    else:
        raise InvalidInput(f"“{words[0]}” is not a schedule. Use daily, weekdays, weekly or cron.")
    timezone, rest = _timezone(rest, default_timezone)
    schedule = Schedule(cron, timezone)
    if schedule.next_fire(now) is None:
        raise InvalidInput(f"“{cron}” never comes: no day in the next year matches it (30 February?). "
                           "Use days that exist, like `\"0 9 1 * *\"` for 09:00 on the 1st.")
    _check_gap(schedule)
    return schedule, rest


def _at(words: list[str], day_of_week: str) -> tuple[str, list[str]]:
    if not words:
        raise InvalidInput("Say at what time, like `09:00`.")
    found = TIME.fullmatch(words[0])
    if not found or int(found.group(1)) > 23 or int(found.group(2)) > 59:
        raise InvalidInput(f"“{words[0]}” is not a time: use HH:MM on a 24-hour clock, like 09:00.")
    return f"{int(found.group(2))} {int(found.group(1))} * * {day_of_week}", words[1:]


def _cron(words: list[str]) -> tuple[str, list[str]]:
    fields, rest = (words[0].split(), words[1:]) if words and " " in words[0] else (words[:5], words[5:])
    if len(fields) == 5:
        fields[4] = _day_names(fields[4])
    cron = " ".join(fields)
    try:
        if len(fields) != 5:
            raise ValueError("five fields")
        CronTrigger.from_crontab(cron)
    except ValueError:
        raise InvalidInput(f"“{cron}” is not a cron expression: five fields, like `\"0 9 * * 1-5\"`.") from None
    return cron, rest


def _day_names(field: str) -> str:
    """Standard cron counts days from Sunday = 0; APScheduler 3 counts from Monday, so use names."""
    if "/" in field:
        return field  # a step over day numbers: left as written, rare enough
    return re.sub(r"\d+", lambda m: ("sun", *DAYS[:6], "sun")[int(m.group())] if int(m.group()) <= 7 else m.group(),
                  field)


def _timezone(words: list[str], default: str) -> tuple[str, list[str]]:
    if words and "/" in words[0] and ":" not in words[0] or words[:1] == ["UTC"]:
        try:
            ZoneInfo(words[0])
        except (ZoneInfoNotFoundError, ValueError):
            raise InvalidInput(f"“{words[0]}” is not a time zone: use an IANA name like Europe/Berlin.") from None
        return words[0], words[1:]
    return default, words


def _check_gap(schedule: Schedule) -> None:
    start = datetime(2026, 1, 5, tzinfo=ZoneInfo(schedule.timezone))  # a Monday, 00:00
    first = schedule.next_fire(start)
    second = schedule.next_fire(first.astimezone(UTC) + timedelta(seconds=1)) if first else None
    if first and second and second - first < MIN_GAP:
        raise InvalidInput("A digest can come at most once an hour.")
