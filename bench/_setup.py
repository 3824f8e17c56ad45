"""Shared start-up for benchmarks: a throwaway SQLite database unless DATABASE_URL is set."""
import os
import sys
import tempfile
from pathlib import Path


def django_for_bench() -> str:
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    if "VIGIL_VAR_DIR" not in os.environ:
        os.environ["VIGIL_VAR_DIR"] = tempfile.mkdtemp(prefix="vigil-bench-")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection

    return f"{connection.vendor} ({connection.settings_dict['NAME']})"


def bench_redis_url(url: str, *, allow_db_zero: bool = False) -> tuple[str, int]:
    """The Redis URL and database number a bench may flush: VIGIL_TEST_REDIS_DB when set, else the
    number in `url` (CELERY_BROKER_URL). Database 0 is where a developer's own Vigil keeps its
    queue, so it is refused unless the caller was told to use it."""
    import urllib.parse

    parts = urllib.parse.urlsplit(url)
    named = os.environ.get("VIGIL_TEST_REDIS_DB") or parts.path.strip("/") or "0"
    if not named.isdigit():
        raise SystemExit(f"Redis database {named!r} is not a number (VIGIL_TEST_REDIS_DB or the URL's path)")
    db = int(named)
    if db == 0 and not allow_db_zero:
        raise SystemExit("This bench flushes its Redis database, and none was named (or 0 was): set "
                         "VIGIL_TEST_REDIS_DB or CELERY_BROKER_URL=redis://host:6379/N to a database of "
                         "its own, or pass --flush-redis-db-0.")
    return urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{db}", "", "")), db
