#!/usr/bin/env python3
"""CI: does Vigil run as an operator installs it, from requirements.txt alone?

The test suite's venv has the test tools, which bring packages of their own (`packaging`, for one,
which kombu's Redis transport imports): a missing runtime pin passes every test and still kills
the worker in production. So this builds a fresh venv from requirements.txt only, and for each
broker (Redis, then RabbitMQ) on a throwaway PostgreSQL database:

    migrate, seed_demo, `manage.py serve`, /healthz 200, one alert posted to the demo's generic
    integration, its page in the console outbox, SIGTERM, exit 0, no process left behind.

Every step has a timeout; each check is printed as it passes. Run it by hand with
`python3 .ci/runtime_smoke.py` (`--broker redis` for one broker, `--venv DIR` to keep and reuse
the venv between runs). Needs psql, redis-cli and rabbitmqctl, as CI has them.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
# Standard library only, like this script: nothing of Django is imported here.
from tests.process import ManagedProcess, ProcessError, free_port, processes, running_in, wait_until  # noqa: E402

INSTALL_TIMEOUT = 900
COMMAND_TIMEOUT = 180
READY_TIMEOUT = 120
PAGE_TIMEOUT = 90
STOP_TIMEOUT = 30
LEFT_BEHIND_GRACE = 5
POSTGRES_URL = os.environ.get("SMOKE_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/postgres")
# A Redis database of its own, flushed before and after: the test suites use others.
REDIS_URL = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/9")
RABBITMQ_URL = os.environ.get("SMOKE_RABBITMQ_URL", "amqp://guest:guest@127.0.0.1:5672")
# Only what a shell needs: the stack must run on the settings given here, not on the caller's.
KEPT_ENVIRONMENT = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
OUTBOX_QUERY = (
    "import json; from notifications.models import OutboxMessage as M; "
    "print(json.dumps([{'kind': m.kind, 'to': m.to, 'subject': m.subject or m.body.splitlines()[0]} "
    "for m in M.objects.order_by('id')[:5]]))"
)


class SmokeFailed(Exception):
    pass


def say(text: str) -> None:
    print(f"  {text}", flush=True)


def run(argv: list[str], *, what: str, timeout: float = COMMAND_TIMEOUT, env: dict | None = None) -> str:
    try:
        done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        raise SmokeFailed(f"{what}: no answer within {timeout:.0f} s") from None
    if done.returncode:
        output = "\n".join((done.stdout + done.stderr).splitlines()[-30:])
        raise SmokeFailed(f"{what} failed with exit code {done.returncode}:\n{output}")
    return done.stdout


def build_venv(folder: Path) -> Path:
    python = folder / "bin" / "python"
    if not python.exists():
        run([sys.executable, "-m", "venv", str(folder)], what="python -m venv")
    started = time.monotonic()
    run([str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-input",
         "-r", str(REPO / "requirements.txt")], what="pip install -r requirements.txt", timeout=INSTALL_TIMEOUT)
    installed = run([str(python), "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
                    what="pip list").split()
    say(f"ok: a venv with requirements.txt alone ({len(installed)} packages, {time.monotonic() - started:.0f} s)")
    run([str(python), "-m", "pip", "check", "--disable-pip-version-check"], what="pip check")
    say("ok: pip check finds no broken requirement")
    return python


# --- throwaway services ---------------------------------------------------------------------------

def _psql(statement: str) -> None:
    run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", POSTGRES_URL, "-c", statement], what=f"psql: {statement}",
        timeout=60)


@contextmanager
def postgres_database(name: str):
    """A new, empty database on the server POSTGRES_URL names; dropped afterwards."""
    _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _psql(f'CREATE DATABASE "{name}"')
    try:
        yield urllib.parse.urlsplit(POSTGRES_URL)._replace(path=f"/{name}").geturl()
    finally:
        _psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _redis_flush(url: str) -> None:
    parts = urllib.parse.urlsplit(url)
    run(["redis-cli", "-h", parts.hostname or "127.0.0.1", "-p", str(parts.port or 6379),
         "-n", parts.path.strip("/") or "0", "flushdb"], what="redis-cli flushdb", timeout=30)


@contextmanager
def redis_broker():
    _redis_flush(REDIS_URL)
    try:
        yield REDIS_URL
    finally:
        _redis_flush(REDIS_URL)


@contextmanager
def rabbitmq_broker(vhost: str):
    """A vhost of its own: deleting it afterwards deletes every queue and message it had."""
    user = urllib.parse.unquote(urllib.parse.urlsplit(RABBITMQ_URL).username or "guest")
    if _vhost_exists(vhost):  # left by a run that was killed
        run(["rabbitmqctl", "-q", "delete_vhost", vhost], what="rabbitmqctl delete_vhost", timeout=60)
    run(["rabbitmqctl", "-q", "add_vhost", vhost], what="rabbitmqctl add_vhost", timeout=60)
    try:
        run(["rabbitmqctl", "-q", "set_permissions", "-p", vhost, user, ".*", ".*", ".*"],
            what="rabbitmqctl set_permissions", timeout=60)
        yield f"{RABBITMQ_URL.rstrip('/')}/{urllib.parse.quote(vhost, safe='')}"
    finally:
        run(["rabbitmqctl", "-q", "delete_vhost", vhost], what="rabbitmqctl delete_vhost", timeout=60)


def _vhost_exists(vhost: str) -> bool:
    return vhost in run(["rabbitmqctl", "-q", "list_vhosts"], what="rabbitmqctl list_vhosts", timeout=60).split()


# --- the stack ------------------------------------------------------------------------------------

def stack_env(*, var_dir: Path, database_url: str, broker_url: str, port: int) -> dict:
    env = {name: os.environ[name] for name in KEPT_ENVIRONMENT if name in os.environ}
    env.update({"VIGIL_VAR_DIR": str(var_dir), "DATABASE_URL": database_url, "CELERY_BROKER_URL": broker_url,
                "HOST": "127.0.0.1", "PORT": str(port), "PYTHONUNBUFFERED": "1", "WEB_CONCURRENCY": "2"})
    return env


def http(url: str, *, body: dict | None = None, timeout: float = 10) -> tuple[int, str]:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"} if data else {})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()
    except OSError as e:
        return 0, str(e)


def descendants_sessions(root: int) -> set[int]:
    """Sessions and process groups of `root` and everything under it (serve starts its children
    in sessions of their own)."""
    table = processes()
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, *_rest) in table.items():
            if ppid == parent and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return {root} | {group for pid in found if pid in table for group in table[pid][2:4]}


def smoke(python: Path, *, broker_url: str, database_url: str, var_dir: Path) -> None:
    port = free_port()
    env = stack_env(var_dir=var_dir, database_url=database_url, broker_url=broker_url, port=port)
    run([str(python), "manage.py", "migrate", "--noinput", "-v0"], what="manage.py migrate", env=env)
    say("ok: manage.py migrate")
    facts = json.loads(run([str(python), "manage.py", "seed_demo", "--json"], what="manage.py seed_demo", env=env))
    alert_url = facts["integrations"]["generic"]
    say("ok: manage.py seed_demo --json")

    serve = ManagedProcess([str(python), "manage.py", "serve"], env=env, log_path=var_dir / "serve.log",
                           name="manage.py serve")
    try:
        base = f"http://127.0.0.1:{port}"

        def ready():
            serve.check_alive()
            out = serve.output()
            return " ready." in out and "beat: Starting" in out and http(f"{base}/healthz", timeout=5)[0] == 200
        try:
            wait_until(ready, timeout=READY_TIMEOUT, what="serve's worker, beat and /healthz 200", interval=0.5,
                       describe=lambda: f"/healthz: {http(f'{base}/healthz', timeout=5)}\n{serve.tail()}")
        except ProcessError as e:
            raise SmokeFailed(str(e)) from None
        serve.sessions |= descendants_sessions(serve.pid)
        say(f"ok: serve is up (web, worker, beat); /healthz 200 {http(f'{base}/healthz')[1]}")

        status, answer = http(alert_url, body={"title": "Runtime smoke test", "dedup_key": "runtime-smoke"})
        if status != 202:
            raise SmokeFailed(f"posting an alert answered {status}: {answer[:300]}\n{serve.tail()}")
        say(f"ok: alert accepted: {status} {answer[:200]}")

        def outbox():
            serve.check_alive()
            lines = run([str(python), "manage.py", "shell", "-c", OUTBOX_QUERY], what="reading the outbox",
                        env=env, timeout=60).strip().splitlines()
            return json.loads(lines[-1]) if lines else []
        try:
            pages = wait_until(outbox, timeout=PAGE_TIMEOUT, what="a page in the console outbox", interval=1,
                               describe=serve.tail)
        except ProcessError as e:
            raise SmokeFailed(str(e)) from None
        say(f"ok: the page reached the console outbox: {pages[0]}")

        for needle in ("ModuleNotFoundError", "ImportError"):
            if needle in serve.output():
                raise SmokeFailed(f"serve's log shows {needle}\n{serve.tail()}")
        say("ok: no import error in serve's log")

        try:
            code = serve.stop(signal.SIGTERM, timeout=STOP_TIMEOUT)
        except ProcessError as e:
            raise SmokeFailed(str(e)) from None
        if code != 0 or "Stopped." not in serve.output():
            raise SmokeFailed(f"serve exited with code {code} on SIGTERM\n{serve.tail()}")
        say(f"ok: SIGTERM stopped serve with exit code 0 (sessions {sorted(serve.sessions)})")
        deadline = time.monotonic() + LEFT_BEHIND_GRACE
        while (left := running_in(serve.sessions)) and time.monotonic() < deadline:
            time.sleep(0.1)
        if left:
            raise SmokeFailed(f"processes left behind after serve stopped: {left}")
        say("ok: no process left behind")
    finally:
        serve.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--broker", choices=("redis", "rabbitmq"), action="append",
                        help="run on this broker only (repeatable; default: both)")
    parser.add_argument("--venv", type=Path, help="build (or reuse) the venv here and keep it")
    args = parser.parse_args()
    brokers = args.broker or ["redis", "rabbitmq"]

    tmp = Path(tempfile.mkdtemp(prefix="vigil-runtime-smoke-"))
    tag = f"vigil_smoke_{os.getpid()}"
    failures = []
    try:
        print("runtime-only install", flush=True)
        try:
            python = build_venv(args.venv or tmp / "venv")
        except SmokeFailed as e:
            print(f"FAILED: {e}", flush=True)
            return 1
        for broker in brokers:
            print(f"serve on PostgreSQL with {broker}", flush=True)
            started = time.monotonic()
            try:
                with postgres_database(f"{tag}_{broker}") as database_url, \
                        (redis_broker() if broker == "redis" else rabbitmq_broker(tag)) as broker_url:
                    smoke(python, broker_url=broker_url, database_url=database_url, var_dir=tmp / f"var-{broker}")
            except SmokeFailed as e:
                failures.append(broker)
                print(f"FAILED on {broker}: {e}", flush=True)
                continue
            say(f"passed on {broker} in {time.monotonic() - started:.0f} s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    if failures:
        print(f"runtime smoke test failed on: {', '.join(failures)}", flush=True)
        return 1
    print(f"runtime smoke test passed on: {', '.join(brokers)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
