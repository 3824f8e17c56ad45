"""The engine's metrics: what the paging path counts as it goes, and the states read from the
database at scrape time (see config/metrics.py for why those are not kept in memory)."""
from datetime import datetime

from django.db.models import Count, Min
from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily

from config.metrics import FIRST_PAGE_SECONDS, PAGES_BUNDLED, SWEEP_RECOVERIES, only_when_enabled
from incidents.models import Incident, WebhookDelivery

from .models import Delivery

SENT_STATES = (Delivery.Status.SENT, Delivery.Status.DELIVERED, Delivery.Status.BUNDLED)


@only_when_enabled
def page_sent_observed(*, delivery: Delivery, bundled: list[Delivery], sent_at: datetime) -> None:
    """Bundles, and the trigger-to-first-page time of every incident whose first page this was.

    Two workers sending an incident's first two pages in the same instant may both count as
    first; the histogram then holds one extra, nearly equal, sample."""
    if bundled:
        PAGES_BUNDLED.labels(channel=delivery.kind).inc(len(bundled))
    batch = [delivery, *bundled]
    for d in batch:
        if d.page_id is None:  # a reminder (notifications/reminders.py), not a page about an incident
            continue
        incident = d.page.incident
        earlier = Delivery.objects.filter(page__incident_id=incident.pk, status__in=SENT_STATES).exclude(
            pk__in=[b.pk for b in batch]).exists()
        if not earlier and incident.paging_round == 0:
            FIRST_PAGE_SECONDS.labels(channel=delivery.kind).observe(
                max(0.0, (sent_at - incident.triggered_at).total_seconds()))


def sweep_observed(found: dict) -> None:
    for work, key in (("escalation", "escalations"), ("delivery", "deliveries"), ("claim", "revived")):
        if found.get(key):
            SWEEP_RECOVERIES.labels(work=work).inc(found[key])


def collect_states():
    """Gauges read at scrape time. The oldest due age is the one number that says the pager is
    stuck: work that should have run and has not, whatever the reason (no worker, no broker, a
    crash loop)."""
    now = timezone.now()
    oldest = GaugeMetricFamily(
        "vigil_oldest_due_age_seconds", "Age of the oldest work that is due and not done (0 when none), by kind: "
        "escalation, delivery, webhook.", labels=["work"])
    due_escalation = Incident.objects.filter(
        status=Incident.Status.TRIGGERED, next_escalation_at__lte=now).aggregate(at=Min("next_escalation_at"))["at"]
    due_delivery = Delivery.objects.filter(
        status__in=[Delivery.Status.PENDING, Delivery.Status.SENDING], due_at__lte=now).aggregate(at=Min("due_at"))["at"]
    due_webhook = WebhookDelivery.objects.filter(
        status__in=[WebhookDelivery.Status.PENDING, WebhookDelivery.Status.SENDING], due_at__lte=now).aggregate(
        at=Min("due_at"))["at"]
    for work, at in (("escalation", due_escalation), ("delivery", due_delivery), ("webhook", due_webhook)):
        oldest.add_metric([work], max(0.0, (now - at).total_seconds()) if at else 0.0)
    yield oldest

    open_ = GaugeMetricFamily("vigil_incidents_open", "Incidents not resolved, by status.", labels=["status"])
    counts = dict(Incident.objects.exclude(status=Incident.Status.RESOLVED).values_list("status").annotate(n=Count("id")))
    for status in Incident.OPEN_STATUSES:
        open_.add_metric([status], counts.get(status, 0))
    yield open_
