"""`manage.py serve`: all of Vigil on one machine, as `make run` starts it: gunicorn for the web
and one Celery worker with beat embedded. Ctrl-C or SIGTERM stops everything.

This command only prepares (folders, the metrics directory, the children's command lines, with
Django's settings), then exec's config/supervisor.py, a standard-library script that starts and
watches the children: the process that idles for as long as Vigil runs keeps no Django loaded.
"""
import json
import os
import shutil
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import connections
from kombu.utils.url import maybe_sanitize_url

from config.env import env_int, env_str
from config.metrics import MULTIPROC_ENV

SUPERVISOR = Path(__file__).resolve().parents[2] / "supervisor.py"


def gunicorn_argv(*, host: str, port: int) -> list[str]:
    return [
        sys.executable, "-m", "gunicorn", "config.wsgi:application",
        "--bind", f"{host}:{port}",
        "--name", "vigil-web",
        "--workers", str(env_int("WEB_CONCURRENCY", 2, minimum=1)),
        "--worker-class", "gthread", "--threads", "4",
        "--access-logfile", "-",
        # Integration and ack-link tokens travel in URL paths; the access log must not show them.
        "--logger-class", "config.redaction.RedactingLogger",
        # Well inside the supervisor's STOP_TIMEOUT (10 s), so a graceful stop normally finishes before the SIGKILL.
        "--graceful-timeout", "5",
        # Gunicorn otherwise creates a control socket at one fixed path under $HOME, which a
        # second Vigil on the machine (another checkout, the test suite) would collide with.
        "--no-control-socket",
    ]


def celery_argv(*, var_dir: Path) -> list[str]:
    argv = [
        sys.executable, "-m", "celery", "-A", "config", "worker", "-B",
        f"--loglevel={settings.LOG_LEVEL}",
        "--schedule", str(var_dir / "celerybeat-schedule"),
        "--hostname", "vigil@%h",
        # Tasks wait on the database and on providers' APIs: threads are enough, start fast and
        # leave a single process to stop.
        "--pool", "threads", "--concurrency", str(env_int("CELERY_CONCURRENCY", 4, minimum=1)),
    ]
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        # Gossip, mingle and heartbeats are worker-to-worker broadcasts for a cluster; on the
        # file-system broker each worker's event queue would stay bound in the control folder
        # after it exits, and broadcasts would pile up message files for it. Remote control
        # (celery inspect) works: kombu's file-system transport supports fanout since 5.3.
        argv += ["--without-gossip", "--without-mingle", "--without-heartbeat"]
    return argv


def prepare_folders(var_dir: Path) -> None:
    var_dir.mkdir(parents=True, exist_ok=True)
    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            if options.get(key):
                Path(options[key]).mkdir(parents=True, exist_ok=True)


def prepare_metrics_dir(var_dir: Path) -> Path:
    """The folder where gunicorn's workers and Celery write their metric values (multiprocess
    mode, see config/metrics.py), emptied first: files of processes from an earlier run would be
    added to this run's counters."""
    path = Path(os.environ.get(MULTIPROC_ENV) or var_dir / "prometheus")
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True, exist_ok=True)
    os.environ[MULTIPROC_ENV] = str(path)  # the children inherit it
    return path


class Command(BaseCommand):
    help = (
        "Run the web server (gunicorn) and a Celery worker with embedded beat until Ctrl-C. "
        "Listens on HOST:PORT (default 127.0.0.1:8000); WEB_CONCURRENCY and CELERY_CONCURRENCY set the sizes."
    )
    requires_migrations_checks = True

    def handle(self, *args, **options):
        host = env_str("HOST") or "127.0.0.1"
        port = env_int("PORT", 8000, minimum=1)
        var_dir = Path(settings.VAR_DIR)
        prepare_folders(var_dir)
        prepare_metrics_dir(var_dir)

        banner = (
            f"Vigil is listening on http://{host}:{port}/ (public URL {settings.PUBLIC_URL})\n"
            f"Celery worker with beat on {self.broker_name()}; beat schedule in {var_dir}\n"
            "Press Ctrl-C to stop."
        )
        spec = {"children": [["web", gunicorn_argv(host=host, port=port)], ["worker", celery_argv(var_dir=var_dir)]],
                "banner": banner}
        connections.close_all()
        self.stdout.flush()
        sys.stderr.flush()
        # Replaces this process: what is left of Django here (settings, apps, a database
        # connection) is freed, and the supervisor keeps this pid, so signals still reach it.
        os.execv(sys.executable, [sys.executable, str(SUPERVISOR), json.dumps(spec)])

    def broker_name(self) -> str:
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            return f"the file-system broker in {settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']}"
        return maybe_sanitize_url(settings.CELERY_BROKER_URL)
