"""Prometheus metrics: every name Vigil exports, and `GET /metrics`.

Two kinds of numbers, kept apart on purpose:

- Events (alerts received, pages sent, retries, sweep recoveries, latencies) are counters and
  histograms incremented where they happen. gunicorn runs several worker processes and Celery
  another, each with its own memory, so `manage.py serve` sets PROMETHEUS_MULTIPROC_DIR for its
  children and prometheus-client's multiprocess mode writes every process's values to files there;
  a scrape, answered by any one web worker, adds them all up. The folder is wiped at each start
  (counters restart at zero, which Prometheus' rate() takes as a reset). Without the variable (the
  test suite, a single process) values live in this process's default registry.
- States (how old is the oldest escalation that is due and not done, how many incidents are open)
  are read from the database at scrape time by collectors the apps register: the database holds
  the truth, and a gauge kept in a worker's memory would die with the worker, or go on reporting
  a stuck pager after another worker had unstuck it.

METRICS_ENABLED=0 turns the event metrics off for every process that inherits it (`serve` hands
its environment to gunicorn and Celery): each metric object below is wrapped so that it counts
nothing while the setting is off, hooks that look something up to decide what to count are
wrapped in `only_when_enabled`, and `/metrics` answers 404. The switch lives here and nowhere
else, and it is read at each call, so a test can flip it with the `settings` fixture.

This module imports no app: apps import the metric objects from here and register their
database collectors with `register_collector` (see notifications/apps.py).
"""
import hashlib
import hmac
import ipaddress
import logging
import os
import time
from collections.abc import Callable, Iterable
from functools import wraps

from django.conf import settings
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, Counter, Histogram, generate_latest
from prometheus_client.core import Metric
from prometheus_client.multiprocess import MultiProcessCollector

log = logging.getLogger(__name__)
MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


class _Off:
    """What a metric is while metrics are off: every call does nothing."""

    def labels(self, *values: str, **labels: str) -> "_Off":
        return self

    def inc(self, amount: float = 1) -> None:
        pass

    def observe(self, amount: float) -> None:
        pass


_OFF = _Off()


class _Switched:
    """A counter or histogram that counts only while METRICS_ENABLED is on. While off, `labels()`
    hands back the do-nothing stand-in, so no child is created (in multiprocess mode a child is a
    value written to the process's file)."""

    def __init__(self, metric: Counter | Histogram):
        self._metric = metric

    def labels(self, *values: str, **labels: str):
        return self._metric.labels(*values, **labels) if settings.METRICS_ENABLED else _OFF

    def inc(self, amount: float = 1) -> None:
        if settings.METRICS_ENABLED:
            self._metric.inc(amount)

    def observe(self, amount: float) -> None:
        if settings.METRICS_ENABLED:
            self._metric.observe(amount)


def only_when_enabled(hook: Callable) -> Callable:
    """For a hook that does work of its own to find what to count (a query): skipped whole while
    metrics are off, so that off costs the paging path nothing."""

    @wraps(hook)
    def run(*args, **kwargs):
        if settings.METRICS_ENABLED:
            return hook(*args, **kwargs)
        return None

    return run


# --- Intake ------------------------------------------------------------------------------------
ALERTS = _Switched(Counter(
    "vigil_alerts", "Alert events stored, by integration kind and what they did: created (opened an incident), "
    "deduplicated, acknowledged, resolved, suppressed (maintenance), ignored.", ["kind", "outcome"]))
ALERT_REQUESTS_REJECTED = _Switched(Counter(
    "vigil_alert_requests_rejected", "Alert requests refused before anything was stored, by endpoint and reason.",
    ["endpoint", "reason"]))
INTAKE_SECONDS = _Switched(Histogram(
    "vigil_intake_request_seconds", "Time to store an accepted alert request and answer 202.", ["endpoint"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)))
INCIDENTS_OPENED = _Switched(Counter(
    "vigil_incidents_opened", "Incidents opened, by service name and severity.", ["service", "severity"]))

# --- Paging ------------------------------------------------------------------------------------
PAGES = _Switched(Counter(
    "vigil_pages", "Delivery attempts by contact kind (sms, voice, email, slack) and outcome: sent, retry, failed, "
    "held, cancelled.", ["channel", "outcome"]))
PAGES_BUNDLED = _Switched(Counter(
    "vigil_pages_bundled", "Pages that went out inside another page's message (held by the per-number limit).",
    ["channel"]))
DELIVERY_HOLDS = _Switched(Counter(
    "vigil_delivery_holds", "Deliveries held back by a rate limit: number_limit (per contact method) or "
    "provider_rate (sends per second).", ["channel", "reason"]))
FIRST_PAGE_SECONDS = _Switched(Histogram(
    "vigil_first_page_seconds", "Time from an incident's trigger to the provider accepting its first page.",
    ["channel"], buckets=(1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800)))
SWEEP_RECOVERIES = _Switched(Counter(
    "vigil_sweep_recoveries", "Work the sweep found due and not picked up (escalation, delivery, webhook) or "
    "claimed by a worker that died (claim).", ["work"]))

# --- Outgoing webhooks -------------------------------------------------------------------------
WEBHOOK_DELIVERIES = _Switched(Counter(
    "vigil_webhook_deliveries", "Outgoing webhook requests by outcome: delivered, retry, failed, skipped.",
    ["outcome"]))
WEBHOOK_SECONDS = _Switched(Histogram(
    "vigil_webhook_request_seconds", "Time a receiver took to answer an outgoing webhook request.",
    buckets=(0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10)))

REJECTION_REASONS = {400: "invalid", 401: "bad_signature", 404: "unknown_integration", 405: "method_not_allowed",
                     413: "too_large", 415: "not_json", 429: "rate_limited"}

_collectors: dict[str, Callable[[], Iterable[Metric]]] = {}


def register_collector(name: str, collect: Callable[[], Iterable[Metric]]) -> None:
    """A function yielding metric families, called at every scrape (database-read states)."""
    _collectors[name] = collect


def count_after_commit(counter: Counter, amount: float = 1, **labels: str) -> None:
    """Count something a transaction does only once it is committed: a rolled-back intake
    request opened no incident."""
    if not settings.METRICS_ENABLED:
        return
    child = counter.labels(**labels)
    transaction.on_commit(lambda: child.inc(amount))


def observe_intake(endpoint: str):
    """Time accepted alert requests and count refused ones by reason (from the status code)."""

    def decorate(view):
        @wraps(view)
        def timed(request, *args, **kwargs):
            if not settings.METRICS_ENABLED:
                return view(request, *args, **kwargs)
            started = time.perf_counter()
            response = view(request, *args, **kwargs)
            if response.status_code < 300:
                INTAKE_SECONDS.labels(endpoint=endpoint).observe(time.perf_counter() - started)
            else:
                reason = REJECTION_REASONS.get(response.status_code, str(response.status_code))
                ALERT_REQUESTS_REJECTED.labels(endpoint=endpoint, reason=reason).inc()
            return response

        return timed

    return decorate


class _Scrape:
    """What one scrape reads: the event metrics (of every process, in multiprocess mode) and the
    database collectors."""

    def collect(self) -> Iterable[Metric]:
        path = os.environ.get(MULTIPROC_ENV)
        if path:
            yield from MultiProcessCollector(None, path=path).collect()
        else:
            yield from REGISTRY.collect()
        for name, collect in _collectors.items():
            try:
                yield from collect()
            except Exception:  # one broken collector must not hide every other number
                log.warning("metrics: collector %s failed", name, exc_info=True)


def _loopback(request: HttpRequest) -> bool:
    # Behind a proxy on the same machine every request comes from loopback: a forwarded request
    # is someone else's, and a deployment behind TLS must set a token.
    if settings.BEHIND_TLS_PROXY or "HTTP_X_FORWARDED_FOR" in request.META:
        return False
    try:
        return ipaddress.ip_address(request.META.get("REMOTE_ADDR", "")).is_loopback
    except ValueError:
        return False


def _authorized(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    if not token:
        return _loopback(request)
    scheme, _, given = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given:
        return False
    # Digests first, so that the comparison takes the same time whatever the lengths.
    return hmac.compare_digest(hashlib.sha256(given.strip().encode()).digest(), hashlib.sha256(token.encode()).digest())


@never_cache
@require_safe
def metrics_view(request: HttpRequest) -> HttpResponse:
    if not settings.METRICS_ENABLED:
        # 404 rather than an empty page: a scraper then reports the target down and the reason
        # is in the body, instead of every series silently vanishing.
        return HttpResponse("metrics are turned off (METRICS_ENABLED=0)\n", status=404,
                            content_type="text/plain; charset=utf-8")
    if not _authorized(request):
        message = ("Send Authorization: Bearer <METRICS_TOKEN>." if settings.METRICS_TOKEN else
                   "Set METRICS_TOKEN to scrape from another host; without it /metrics answers loopback only.")
        status = 401 if settings.METRICS_TOKEN else 403
        response = HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(generate_latest(_Scrape()), content_type=CONTENT_TYPE_LATEST)
