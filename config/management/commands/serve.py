"""`manage.py serve`: all of Vigil on one machine, as `make run` starts it: gunicorn for the web
and one Celery worker with beat embedded. Ctrl-C or SIGTERM stops everything.

Each child runs in a session of its own, so a terminal's Ctrl-C reaches only this process, which
then stops the children in order: SIGTERM to each leader (gunicorn and Celery both shut down
gracefully on it and stop their own workers), then, after STOP_TIMEOUT, SIGKILL to each child's
whole process group, so that nothing they forked (gunicorn workers, the beat process) outlives
`serve`. If a child dies on its own, the others are stopped and `serve` exits non-zero, so a
supervisor above it notices.
"""
import ctypes
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from kombu.utils.url import maybe_sanitize_url

from config.env import env_int, env_str
from config.metrics import MULTIPROC_ENV

STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1
# Loaded before any fork: the child between fork and exec should do as little as possible.
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


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
        # Well inside STOP_TIMEOUT, so a graceful stop normally finishes before the SIGKILL.
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


def _die_with_parent() -> None:
    """Runs in the child before exec: if `serve` is SIGKILLed it cannot stop anyone, so the kernel
    sends the child SIGTERM instead (Linux only)."""
    _libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Supervisor:
    def __init__(self, log):
        self.log = log
        self.children: dict[str, subprocess.Popen] = {}
        self.stop_requested: int | None = None
        self.hurry = False

    def start(self, name: str, argv: list[str]) -> None:
        self.children[name] = subprocess.Popen(
            argv, start_new_session=True, preexec_fn=_die_with_parent if _libc else None,
        )

    def on_signal(self, signum, _frame) -> None:
        if self.stop_requested is not None:
            self.hurry = True  # a second Ctrl-C: do not wait for graceful shutdown
        self.stop_requested = signum

    def wait(self) -> tuple[str, int] | None:
        """Until a stop signal (returns None) or a child's exit (returns its name and code)."""
        while self.stop_requested is None:
            for name, child in self.children.items():
                if child.poll() is not None:
                    return name, child.returncode
            time.sleep(POLL_INTERVAL)
        return None

    def stop(self) -> None:
        for name, child in self.children.items():
            if child.poll() is None:
                self.log(f"Stopping {name} (pid {child.pid})…")
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        # A child's pid is its process group's id (start_new_session); the group outlives the
        # leader while anything it forked is still running.
        groups = {name: child.pid for name, child in self.children.items()}
        while not self.hurry and time.monotonic() < deadline:
            for child in self.children.values():
                child.poll()  # reap, so an exited leader no longer counts as a member
            if not any(_group_alive(pgid) for pgid in groups.values()):
                break
            time.sleep(POLL_INTERVAL)
        for name, pgid in groups.items():
            if _group_alive(pgid):
                self.log(f"{name} did not stop in time; killing its process group {pgid}.")
                try:
                    os.killpg(pgid, signal.SIGKILL)
                except (ProcessLookupError, PermissionError):
                    pass
        for child in self.children.values():
            child.wait()


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

        supervisor = Supervisor(self.say)
        for signum in STOP_SIGNALS:
            signal.signal(signum, supervisor.on_signal)
        try:
            supervisor.start("web", gunicorn_argv(host=host, port=port))
            supervisor.start("worker", celery_argv(var_dir=var_dir))
            self.say(
                f"Vigil is listening on http://{host}:{port}/ (public URL {settings.PUBLIC_URL})\n"
                f"Celery worker with beat on {self.broker_name()}; beat schedule in {var_dir}\n"
                "Press Ctrl-C to stop."
            )
            exited = supervisor.wait()
            if exited:
                self.say(f"{exited[0]} exited unexpectedly with code {exited[1]}; stopping everything.")
        finally:
            # Also when starting the second child failed: the first must not be left running.
            if supervisor.stop_requested is not None:
                self.say(f"Received {signal.Signals(supervisor.stop_requested).name}; stopping.")
            supervisor.stop()
        if exited:
            raise CommandError(f"{exited[0]} exited unexpectedly with code {exited[1]}; stopped everything else")
        self.say("Stopped.")

    def broker_name(self) -> str:
        if settings.CELERY_BROKER_URL.startswith("filesystem://"):
            return f"the file-system broker in {settings.CELERY_BROKER_TRANSPORT_OPTIONS['data_folder_in']}"
        return maybe_sanitize_url(settings.CELERY_BROKER_URL)

    def say(self, text: str) -> None:
        self.stdout.write(text)
        self.stdout.flush()
