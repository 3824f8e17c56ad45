"""Vigil's own processes: its environment, `manage.py serve` (web + worker + beat), bare workers."""
from __future__ import annotations

import os
import urllib.error
import urllib.request
from pathlib import Path

from .fake_twilio import TWILIO_FROM, TWILIO_SID, TWILIO_TOKEN, FakeTwilio
from .processes import PYTHON, STARTUP_TIMEOUT, ManagedProcess, processes, wait_until

# Environment a stack must not inherit from the shell that runs the tests: each test says what
# its stack talks to.
_NOT_INHERITED = ("PUBLIC_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER",
                  "TWILIO_API_BASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "EMAIL_URL", "HOST", "PORT",
                  "VIGIL_VAR_DIR", "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_CONCURRENCY")


def vigil_env(var_dir: Path, *, database_url: str, broker_url: str, twilio: FakeTwilio | None = None,
              port: int | None = None, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in _NOT_INHERITED}
    env.update({"VIGIL_VAR_DIR": str(var_dir), "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url,
                "DJANGO_SETTINGS_MODULE": "config.settings", "PYTHONUNBUFFERED": "1",
                "LOG_LEVEL": env.get("LOG_LEVEL", "INFO")})
    if port is not None:
        env.update({"HOST": "127.0.0.1", "PORT": str(port), "PUBLIC_URL": f"http://127.0.0.1:{port}"})
    if twilio is not None:
        env.update({"TWILIO_ACCOUNT_SID": TWILIO_SID, "TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
                    "TWILIO_FROM_NUMBER": TWILIO_FROM, "TWILIO_API_BASE_URL": twilio.url})
    env.update(extra)
    return env


class Serve(ManagedProcess):
    """`manage.py serve`: gunicorn and a Celery worker with beat, as `make run` starts them."""

    def __init__(self, env: dict, log_path: Path):
        super().__init__([PYTHON, "manage.py", "serve"], env=env, log_path=log_path, name="manage.py serve")
        self.url = f"http://127.0.0.1:{env['PORT']}"

    def healthz(self) -> int | None:
        try:
            with urllib.request.urlopen(f"{self.url}/healthz", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT) -> Serve:
        def ready():
            self.check_alive()
            out = self.output()
            return " ready." in out and "beat: Starting" in out and self.healthz() == 200
        wait_until(ready, timeout=timeout, what="serve to be ready", interval=0.2, describe=self.tail)
        # The children run in sessions of their own, named by their pids.
        self.sessions |= {pid for pid, (ppid, *_rest) in processes().items() if ppid == self.pid}
        return self


def worker_argv(*, name: str, var_dir: Path, concurrency: int = 2, beat: bool = False,
                include: str | None = None) -> list[str]:
    """The worker `serve` runs (threads pool, no cluster chatter), named, optionally with beat."""
    argv = [PYTHON, "-m", "celery", "-A", "config", "worker", "--loglevel=INFO", "--hostname", f"{name}@%h",
            "--pool", "threads", "--concurrency", str(concurrency),
            "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if beat:
        argv += ["-B", "--schedule", str(var_dir / f"celerybeat-schedule-{name}")]
    if include:
        argv += ["--include", include]
    return argv


class Worker(ManagedProcess):
    """A bare `celery worker` (with embedded beat if asked): one machine of a worker fleet."""

    def __init__(self, env: dict, log_path: Path, *, name: str = "worker", **options):
        self.beat = options.get("beat", False)
        super().__init__(worker_argv(name=name, var_dir=Path(env["VIGIL_VAR_DIR"]), **options), env=env,
                         log_path=log_path, name=f"celery worker {name}")

    def wait_until_ready(self, timeout: float = STARTUP_TIMEOUT) -> Worker:
        self.wait_for_output(" ready.", timeout=timeout)
        if self.beat:
            self.wait_for_output("beat: Starting", timeout=timeout)
        return self
