"""The period a report covers, from a query string (`from`, `to`) or by default the last completed
shift. The page and the API read it the same way; a time without an offset is taken in the zone
the caller names (the schedule's on the page, UTC in the API)."""
import re
from datetime import UTC, datetime, timedelta
from datetime import tzinfo

from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime

from oncall.models import Schedule
from oncall.schedules.maths import schedule_maths

from .report import HandoffPeriodError, period_check
from .shifts import ShiftEnd, last_shift_end

EARLIEST, LATEST = datetime(1970, 1, 1, tzinfo=UTC), datetime(3000, 1, 1, tzinfo=UTC)


def _moment(name: str, raw: str, zone: tzinfo) -> datetime:
    # An unencoded "+" of an offset arrives as a space: "…T09:00:00 01:00" meant "+01:00".
    text = re.sub(r" (\d\d(:?\d\d)?)$", r"+\1", raw.strip())
    try:
        at = parse_datetime(text)
        if at is None and (day := parse_date(text)) is not None:
            at = datetime.combine(day, datetime.min.time())
    except ValueError:
        at = None
    if at is None:
        raise HandoffPeriodError(f"{name}: {raw[:40]!r} is not a date and time; use ISO 8601, "
                                 f"e.g. 2026-12-01T09:00:00Z.")
    if timezone.is_naive(at):
        at = at.replace(tzinfo=zone)
    if not EARLIEST <= at < LATEST:
        raise HandoffPeriodError(f"{name}: must be between 1970 and 2999.")
    return at.astimezone(UTC)


def last_completed_shift(*, schedule: Schedule, at: datetime) -> ShiftEnd | None:
    [maths] = schedule_maths(Schedule.objects.filter(pk=schedule.pk), start=at - timedelta(days=62), end=at)
    return last_shift_end(maths, at=at)


def period_from_query(query, *, schedule: Schedule, zone: tzinfo, now: datetime) -> tuple[datetime, datetime]:
    """[start, end) from `from` and `to`; both missing means the last completed shift (the last
    24 hours when no shift ended in the last 31 days). One of them missing is a mistake."""
    raw_from, raw_to = query.get("from", ""), query.get("to", "")
    if not raw_from and not raw_to:
        shift = last_completed_shift(schedule=schedule, at=now)
        return (shift.started_at, shift.at) if shift else (now - timedelta(days=1), now)
    if not raw_from or not raw_to:
        raise HandoffPeriodError(f"{'from' if not raw_from else 'to'}: give both from and to, or neither "
                                 f"for the last completed shift.")
    start, end = _moment("from", raw_from, zone), _moment("to", raw_to, zone)
    period_check(start=start, end=end)
    return start, end
