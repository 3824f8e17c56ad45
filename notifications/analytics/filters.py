"""What the analytics are computed over: the filters a person may choose, read from a query string
the same way for the page, the CSV downloads and the API, and the one base set of incidents."""
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import QuerySet

from config.errors import VigilError
from incidents.models import Incident, Service, Severity
from incidents.selectors import services_visible_to
from oncall.access import teams_visible_to
from oncall.models import Team

DEFAULT_WEEKS = 12
# Long enough for two years of trends; a week per row keeps the weekly table readable.
MAX_DAYS = 731
# Far enough either way for any real data, near enough that date arithmetic never overflows.
EARLIEST, LATEST = date(1970, 1, 1), date(2999, 12, 31)


class AnalyticsFilterError(VigilError):
    def __init__(self, field: str, message: str):
        super().__init__(f"{field}: {message}")
        self.field = field


@dataclass(frozen=True)
class Period:
    """Whole days in UTC, both ends included."""

    start: date
    end: date

    @property
    def starts_at(self) -> datetime:
        return datetime.combine(self.start, time(), tzinfo=UTC)

    @property
    def ends_before(self) -> datetime:
        return datetime.combine(self.end + timedelta(days=1), time(), tzinfo=UTC)

    def weeks(self) -> list[date]:
        """The Mondays of the weeks the period touches, in order."""
        monday = week_of(self.start)
        return [monday + timedelta(weeks=k) for k in range((week_of(self.end) - monday).days // 7 + 1)]


def week_of(day: date) -> date:
    """The Monday that starts the (ISO) week of `day`, as PostgreSQL's date_trunc('week') has it."""
    return day - timedelta(days=day.weekday())


@dataclass(frozen=True)
class AnalyticsFilters:
    period: Period
    team: Team | None = None
    service: Service | None = None
    severity: str | None = None

    def as_query(self) -> dict[str, str]:
        """The query string that selects the same figures (for links and downloads)."""
        query = {"from": self.period.start.isoformat(), "to": self.period.end.isoformat()}
        if self.team:
            query["team"] = str(self.team.pk)
        if self.service:
            query["service"] = str(self.service.pk)
        if self.severity:
            query["severity"] = self.severity
        return query


def default_period(today: date) -> Period:
    return Period(start=today - timedelta(weeks=DEFAULT_WEEKS) + timedelta(days=1), end=today)


def parse_filters(*, user: User | AnonymousUser, params: Mapping[str, str], today: date) -> AnalyticsFilters:
    """Filters from `from`, `to` (YYYY-MM-DD), `team`, `service` (ids) and `severity` (SEV1–SEV5).
    A team or service the person cannot see is refused exactly like one that does not exist."""
    default = default_period(today)
    start = _date(params, "from") or default.start
    end = _date(params, "to") or (default.end if start <= default.end else start)
    if end < start:
        raise AnalyticsFilterError("to", f"{end} is before from ({start}).")
    if (end - start).days + 1 > MAX_DAYS:
        raise AnalyticsFilterError("to", f"the period is {(end - start).days + 1} days; at most {MAX_DAYS}.")
    team = _visible(params, "team", teams_visible_to(user))
    services = services_visible_to(user).select_related("team")
    if team is not None:
        services = services.filter(team=team)
    service = _visible(params, "service", services)
    severity = params.get("severity") or None
    if severity is not None and severity not in Severity.values:
        raise AnalyticsFilterError("severity", f"must be one of {', '.join(Severity.values)}.")
    return AnalyticsFilters(period=Period(start, end), team=team, service=service, severity=severity)


def _date(params: Mapping[str, str], name: str) -> date | None:
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        raise AnalyticsFilterError(name, f"{raw[:40]!r} is not a date (YYYY-MM-DD).") from None
    if not EARLIEST <= day <= LATEST:
        raise AnalyticsFilterError(name, f"must be between {EARLIEST} and {LATEST}.")
    return day


def _visible(params: Mapping[str, str], name: str, queryset: QuerySet):
    raw = (params.get(name) or "").strip()
    if not raw:
        return None
    found = queryset.filter(pk=int(raw)).first() if raw.isdigit() and len(raw) < 19 else None
    if found is None:
        raise AnalyticsFilterError(name, f"no {name} {raw[:20]!r} among yours.")
    return found


def analytics_incidents(*, user: User | AnonymousUser, filters: AnalyticsFilters) -> QuerySet[Incident]:
    """The incidents every figure is computed over. The one place to exclude a kind of incident
    from all of them (practice incidents, when they exist)."""
    # The person's teams as a list of ids rather than a subquery: PostgreSQL then knows from its
    # statistics how much of the table they are, and reads a year of a big history in one
    # sequential scan instead of an index walk per team (bench/analytics.py).
    team_ids = list(teams_visible_to(user).values_list("pk", flat=True))
    incidents = Incident.objects.filter(
        team_id__in=team_ids, triggered_at__gte=filters.period.starts_at, triggered_at__lt=filters.period.ends_before)
    if filters.team is not None:
        incidents = incidents.filter(team=filters.team)
    if filters.service is not None:
        incidents = incidents.filter(service=filters.service)
    if filters.severity is not None:
        incidents = incidents.filter(severity=filters.severity)
    return incidents.order_by()
