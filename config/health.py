"""`/healthz`: can this process serve traffic? A load balancer or `make run`'s user asks; the
answer names each dependency so that a 503 says what to fix, without leaking any secret."""
import logging
import os
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from django.conf import settings
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


CHECKS = {"database": check_database, "broker": check_broker}


@never_cache
@require_safe
def healthz(request):
    checks = {name: check() for name, check in CHECKS.items()}
    healthy = all(result == "ok" for result in checks.values())
    return JsonResponse({"status": "ok" if healthy else "fail", "checks": checks}, status=200 if healthy else 503)
