"""The web server and the Celery worker write to one SQLite file at once (`make run`). WAL, BEGIN
IMMEDIATE and the busy timeout (config.env.sqlite_database) must make them queue, never fail."""
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "sqlite:").startswith("sqlite:"),
        reason="SQLite only: PostgreSQL has row locks and its own concurrency tests",
    ),
]

REPO = Path(__file__).resolve().parent.parent
CALLS = 200
SHARED_KEYS = 10

SETUP = """
import django; django.setup()
from oncall.services import team_create
from incidents.services import service_create
service_create(team=team_create(name="Concurrency", slug="concurrency"), name="checkout")
"""

# Each writer waits for the "go" file so that both really write at the same time. Every round
# opens an incident of its own and adds an alert to one of a few incidents both writers share.
WRITER = """
import os, sys, time
import django; django.setup()
from incidents.models import Service
from incidents.services import incident_trigger
name, go, calls, shared = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
service = Service.objects.get(name="checkout")
while not os.path.exists(go):
    time.sleep(0.01)
for i in range(calls):
    incident_trigger(service=service, title=f"{name} {i}", dedup_key=f"{name}-{i}")
    incident_trigger(service=service, title="shared", dedup_key=f"shared-{i % shared}")
"""


def test_two_processes_writing_at_once_never_see_database_is_locked(tmp_path):
    db = tmp_path / "db.sqlite3"
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{db}", "VIGIL_VAR_DIR": str(tmp_path / "var"),
           "DJANGO_SETTINGS_MODULE": "config.settings"}
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env, check=True,
                   timeout=120)
    subprocess.run([sys.executable, "-c", SETUP], cwd=REPO, env=env, check=True, timeout=60)

    go = tmp_path / "go"
    writers = [
        subprocess.Popen([sys.executable, "-c", WRITER, name, str(go), str(CALLS), str(SHARED_KEYS)], cwd=REPO,
                         env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for name in ("web", "worker")
    ]
    go.touch()
    results = [writer.communicate(timeout=300) for writer in writers]

    for writer, (_out, err) in zip(writers, results):
        assert "database is locked" not in err
        assert writer.returncode == 0, err
    with sqlite3.connect(db) as conn:
        numbers = [n for (n,) in conn.execute("SELECT number FROM incidents_incident ORDER BY number")]
        shared_alerts = conn.execute(
            "SELECT SUM(alert_count), COUNT(*) FROM incidents_incident WHERE dedup_key LIKE 'shared-%'").fetchone()
    assert numbers == list(range(1, 2 * CALLS + SHARED_KEYS + 1))  # every incident once, numbers gap-free
    assert shared_alerts == (2 * CALLS, SHARED_KEYS)  # no alert lost, no duplicate incident
