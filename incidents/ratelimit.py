"""A per-integration request budget, so that one runaway monitor cannot starve the others.

Fixed one-minute windows counted in the Django cache: with several web processes the cache must
be shared (set CACHE_URL=redis://…) for the limit to be exact; with the default per-process cache
each process enforces it on its own share of the traffic.

The cache is a helper, never a gate: when it cannot be reached, limits fail open. An alert that
is not counted costs a little extra load; an alert refused because a counter is down (or a page
held back because of it) is an incident nobody hears about.
"""
import logging
import threading
import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60
# After a failure the cache is left alone this long: a cache host that drops packets would
# otherwise cost every request its connect timeout.
RETRY_CACHE_AFTER_SECONDS = 5
# One warning a minute per process is enough to be seen; one per request would bury the log.
WARN_EVERY_SECONDS = 60

log = logging.getLogger(__name__)
_lock = threading.Lock()
_failed_open = 0
_last_warning = float("-inf")
_down_until: dict[str, float] = {}  # per cache location, so a reconfigured cache starts afresh


def integration_rate_check(*, integration_id: int, limit_per_minute: int | None) -> int | None:
    """Count one request; None when allowed, else the seconds to wait (for Retry-After)."""
    limit = limit_per_minute or settings.INTAKE_RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    count = rate_count(f"intake-rate:{integration_id}:{window}", timeout=WINDOW_SECONDS * 2)
    if count is None or count <= limit:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))


def rate_count(key: str, *, timeout: int) -> int | None:
    """Add one to a counter in the shared cache and return it; None when the cache cannot be
    reached, which every caller reads as "within the limit"."""
    location = str(settings.CACHES["default"].get("LOCATION", ""))
    if time.monotonic() < _down_until.get(location, float("-inf")):
        _record_failure(None, location)
        return None
    try:
        cache.add(key, 0, timeout=timeout)
        try:
            return cache.incr(key)
        except ValueError:  # evicted between add and incr
            cache.set(key, 1, timeout=timeout)
            return 1
    except Exception as e:  # redis, memcached and socket errors share no base class
        _record_failure(e, location)
        return None


def rate_limits_failed_open() -> int:
    """How many counts this process let through unlimited because the cache was unreachable."""
    return _failed_open


def _record_failure(error: Exception | None, location: str) -> None:
    """`error` is None when the cache was not even tried (it failed moments ago)."""
    global _failed_open, _last_warning
    with _lock:
        _failed_open += 1
        now = time.monotonic()
        warn = error is not None and now - _last_warning >= WARN_EVERY_SECONDS
        if error is not None:
            _down_until[location] = now + RETRY_CACHE_AFTER_SECONDS
        if warn:
            _last_warning = now
        total = _failed_open
    if warn:
        # The class name only: a cache client's message can carry its URL, and with it a password.
        log.warning("rate-limit cache unreachable (%s): limits fail open; %d counts skipped so far",
                    type(error).__name__, total)
