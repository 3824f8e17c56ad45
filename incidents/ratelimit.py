"""A per-integration request budget, so that one runaway monitor cannot starve the others.

Fixed one-minute windows counted in the Django cache: with several web processes the cache must
be shared (set CACHE_URL=redis://…) for the limit to be exact; with the default per-process cache
each process enforces it on its own share of the traffic.
"""
import time

from django.conf import settings
from django.core.cache import cache

WINDOW_SECONDS = 60


def integration_rate_check(*, integration_id: int, limit_per_minute: int | None) -> int | None:
    """Count one request; None when allowed, else the seconds to wait (for Retry-After)."""
    limit = limit_per_minute or settings.INTAKE_RATE_LIMIT_PER_MINUTE
    now = time.time()
    window = int(now // WINDOW_SECONDS)
    key = f"intake-rate:{integration_id}:{window}"
    cache.add(key, 0, timeout=WINDOW_SECONDS * 2)
    try:
        count = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, timeout=WINDOW_SECONDS * 2)
        count = 1
    if count <= limit:
        return None
    return max(1, int((window + 1) * WINDOW_SECONDS - now + 0.999))
