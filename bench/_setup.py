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
