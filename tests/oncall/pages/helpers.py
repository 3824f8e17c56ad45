"""What the on-call page tests share: the frozen time, and small helpers for requests and HTML."""
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from django.urls import reverse

from oncall.models import ContactMethod, NotificationRule

NY = ZoneInfo("America/New_York")
# A Wednesday. The rotation below hands off on Mondays at 09:00 New York time: alice has the week
# of 2 November, bob the week of 9 November, carol the week of 16 November.
NOW = datetime(2026, 11, 4, 15, 0, tzinfo=UTC)


def login(client, user):
    client.force_login(user)
    return client


def url(name, *args):
    return reverse(f"oncall:{name}", args=args)


def usable_rule_for(user):
    method = ContactMethod.objects.create(user=user, kind="email", value=f"{user.username}@example.com",
                                          verified_at=NOW)
    return NotificationRule.objects.create(user=user, urgency="high", contact_method=method, delay_minutes=0)


def oncall_row(html, schedule_name) -> str:
    table = html[html.index('class="oncall-now"'):]
    row = table[table.index(f">{schedule_name}</a>"):]
    return row[: row.index("</tr>")]


def page(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()

