"""`/healthz`: can this process serve traffic? A load balancer or `make run`'s user asks; the
answer names each dependency so that a 503 says what to fix, without leaking any secret.

Only the database and the broker decide between 200 and 503: without either nothing is stored or
paged. Helpers (the shared cache behind rate limits, channels without credentials) degrade the
service but paging goes on, so they show as `degraded` with a 200; a load balancer that took web
servers out for them would stop intake too."""
import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe
from kombu import Connection

# A health check that hangs is worse than one that fails: the load balancer's own timeout is
# usually a few seconds, so a broker that does not answer within this is reported unreachable.
BROKER_TIMEOUT = 1.0
MAX_REASON = 200

logger = logging.getLogger(__name__)


def _short_reason(exc: BaseException, *, secret: str | None = None) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    if secret:
        text = text.replace(secret, "****")
    return text[:MAX_REASON]


def check_database() -> str:
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as e:  # any failure at all means "not ready"; the reason is reported
        logger.warning("health check: database unreachable", exc_info=True)
        return f"unreachable: {_short_reason(e, secret=connection.settings_dict.get('PASSWORD'))}"
    return "ok"


def check_broker() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        return _check_queue_folder(Path(settings.CELERY_BROKER_TRANSPORT_OPTIONS["data_folder_in"]))
    options = {
        **settings.CELERY_BROKER_TRANSPORT_OPTIONS,
        # redis-py takes its timeouts from the transport options, py-amqp from connect_timeout.
        "socket_connect_timeout": BROKER_TIMEOUT,
        "socket_timeout": BROKER_TIMEOUT,
    }
    password = urlsplit(url).password
    try:
        with Connection(url, connect_timeout=BROKER_TIMEOUT, transport_options=options) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2 * BROKER_TIMEOUT)
    except Exception as e:
        logger.warning("health check: broker unreachable: %s", _short_reason(e, secret=password))
        return f"unreachable: {_short_reason(e, secret=password)}"
    return "ok"


def _check_queue_folder(folder: Path) -> str:
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Writing is the real test: a read-only mount or a full disk passes an access() check.
        with tempfile.TemporaryFile(dir=folder, prefix=".healthz-"):
            pass
    except OSError as e:
        # The path stays in the log: the response is public.
        logger.warning("health check: broker queue folder %s is not writable: %s", folder, e)
        return f"unreachable: queue folder not writable ({e.strerror or type(e).__name__})"
    if not os.access(folder, os.R_OK | os.X_OK):
        logger.warning("health check: broker queue folder %s is not readable", folder)
        return "unreachable: queue folder not readable"
    return "ok"


def check_cache() -> str | None:
    """The shared cache CACHE_URL names (rate-limit counters); None for a per-process cache."""
    config = settings.CACHES["default"]
    if config["BACKEND"].endswith(".locmem.LocMemCache"):
        return None
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache.set(key, "1", timeout=10)
        kept = cache.get(key) == "1"
        cache.delete(key)
    except Exception as e:
        reason = _short_reason(e, secret=urlsplit(str(config.get("LOCATION") or "")).password)
        logger.warning("health check: cache unreachable: %s", reason)
        return f"unreachable: {reason}"
    return "ok" if kept else "unreachable: a value written was not read back"


@dataclass(frozen=True)
class HelperReport:
    result: str  # "ok", or what is wrong
    details: dict | None = None  # shown in the response under the helper's name


CHECKS = {"database": check_database, "broker": check_broker}
# Name -> check returning a HelperReport, a plain result, or None when there is nothing to report.
# Apps add theirs in AppConfig.ready(): this module imports no app.
HELPERS: dict[str, Callable[[], HelperReport | str | None]] = {"cache": check_cache}


def register_helper(name: str, check: Callable[[], HelperReport | str | None]) -> None:
    HELPERS[name] = check


def _run_helper(name: str, check) -> HelperReport | None:
    try:
        report = check()
    except Exception as e:  # a broken helper check must not break the answer about the rest
        logger.warning("health check: %s could not be checked", name, exc_info=True)
        return HelperReport(f"unknown: {_short_reason(e)}")
    return HelperReport(report) if isinstance(report, str) else report


@never_cache
@require_safe
def healthz(request):
    checks = {name: check() for name, check in CHECKS.items()}
    ready = all(result == "ok" for result in checks.values())
    details = {}
    for name, check in HELPERS.items():
        report = _run_helper(name, check)
        if report is not None:
            checks[name] = report.result
            if report.details:
                details[name] = report.details
    status = "fail" if not ready else "ok" if all(result == "ok" for result in checks.values()) else "degraded"
    return JsonResponse({"status": status, "checks": checks, **details}, status=200 if ready else 503)
