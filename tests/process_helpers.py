"""Vigil as real processes, for the end-to-end, fault and concurrency tests and for bench/.

    dbs = Databases(tmp_root)                  # migrated once, one fresh copy per stack
    broker = Broker()                          # filesystem://, or Redis db 5 flushed
    twilio = FakeTwilio(tmp_path)              # tests/fakes/twilio.py in a subprocess
    env = vigil_env(var_dir, database_url=dbs.new(), broker_url=broker.url, twilio=twilio, port=free_port())
    probe = DjangoProbe(env)                   # a Django process on that database: probe(seed_paging, ...)
    stack = Serve(env, log_path).wait_until_ready()     # manage.py serve: gunicorn + worker + beat
    worker = Worker(env, log_path, name="w1").wait_until_ready()

Every process runs in a session of its own (its id is the session's), so stopping or killing it
reaches everything it forked, and `left_behind()` can prove that nothing is left. Nothing here
imports Django at module level: bench/ imports this module without a Django set up, and the
probe imports it inside its own process.
"""
from __future__ import annotations

import json
import os
import queue
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
PYTHON = sys.executable

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-e2e-auth-token"
TWILIO_FROM = "+15005550006"

STARTUP_TIMEOUT = 60
STOP_TIMEOUT = 20
# Environment a stack must not inherit from the shell that runs the tests: each test says what
# its stack talks to.
_NOT_INHERITED = ("PUBLIC_URL", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER",
                  "TWILIO_API_BASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "EMAIL_URL", "HOST", "PORT",
                  "VIGIL_VAR_DIR", "DATABASE_URL", "CELERY_BROKER_URL", "CELERY_CONCURRENCY")


class ProcessError(AssertionError):
    """A process under test misbehaved; the message carries its log."""


# --- processes ------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_stat(pid: str) -> tuple[int, str, int, int] | None:
    """(ppid, state, pgid, session) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], int(fields[2]), int(fields[3])


def processes() -> dict[int, tuple[int, str, int, int]]:
    return {int(e): stat for e in os.listdir("/proc") if e.isdigit() and (stat := _proc_stat(e))}


def running_in(sessions: set[int]) -> list[int]:
    """Processes still running (zombies do not count) in any of these sessions or groups."""
    return [pid for pid, (_ppid, state, pgid, sid) in processes().items()
            if state != "Z" and (sid in sessions or pgid in sessions)]


def wait_until(predicate: Callable[[], object], *, timeout: float, what: str, interval: float = 0.05,
               describe: Callable[[], str] = lambda: "") -> object:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise ProcessError(f"timed out after {timeout:.0f} s waiting for {what}\n{describe()}")
        time.sleep(interval)


class ManagedProcess:
    """A subprocess in its own session with its output in a log file."""

    def __init__(self, argv: list[str], *, env: dict, log_path: Path, name: str):
        self.name, self.log_path = name, log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(argv, cwd=REPO, env=env, stdout=self._log, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL, start_new_session=True)
        self.sessions = {self.proc.pid}

    @property
    def pid(self) -> int:
        return self.proc.pid

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def tail(self, lines: int = 60) -> str:
        return f"--- last lines of {self.name} ({self.log_path}) ---\n" + "\n".join(self.output().splitlines()[-lines:])

    def check_alive(self) -> None:
        if self.proc.poll() is not None:
            raise ProcessError(f"{self.name} exited with code {self.proc.returncode}\n{self.tail()}")

    def wait_for_output(self, text: str, *, timeout: float = STARTUP_TIMEOUT) -> None:
        def seen():
            self.check_alive()
            return text in self.output()
        wait_until(seen, timeout=timeout, what=f"{text!r} from {self.name}", interval=0.1, describe=self.tail)

    def kill(self) -> None:
        """SIGKILL every process of every session this process made: nothing gets to clean up."""
        for sid in self.sessions:
            try:
                os.killpg(sid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        # A process group id is a session id only for the leader; descendants that made their
        # own group inside the session are found by session.
        for pid in running_in(self.sessions):
            try:
                os.kill(pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            pass

    def stop(self, signum: int = signal.SIGTERM, *, timeout: float = STOP_TIMEOUT) -> int:
        """Ask the leader to stop and wait for it; returns its exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signum)
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            raise ProcessError(f"{self.name} did not exit within {timeout:.0f} s of {signal.Signals(signum).name}\n"
                               f"{self.tail()}") from None

    def left_behind(self, *, timeout: float = 5.0) -> list[int]:
        """The processes of this one's sessions still running after `timeout` (children may take
        a moment to follow their parent out)."""
        deadline = time.monotonic() + timeout
        while (left := running_in(self.sessions)) and time.monotonic() < deadline:
            time.sleep(0.1)
        return left

    def close(self) -> None:
        """Cleanup for finally blocks and fixtures: kill whatever is left, close the log."""
        self.kill()
        self._log.close()


# --- databases and brokers ------------------------------------------------------------------

def pg_server(url: str) -> dict:
    """psycopg2.connect() arguments for the server and database a postgres:// URL names."""
    parsed = urllib.parse.urlsplit(url)
    return {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 5432,
            "user": urllib.parse.unquote(parsed.username or ""),
            "password": urllib.parse.unquote(parsed.password or ""),
            "dbname": urllib.parse.unquote(parsed.path.lstrip("/")) or "postgres"}


def _pg_url(server: dict, dbname: str) -> str:
    auth = urllib.parse.quote(server["user"])
    if server["password"]:
        auth += ":" + urllib.parse.quote(server["password"])
    return f"postgres://{auth}@{server['host']}:{server['port']}/{dbname}"


def on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith(("postgres://", "postgresql://"))


def on_redis() -> bool:
    return os.environ.get("CELERY_BROKER_URL", "").startswith("redis://")


class Databases:
    """Throwaway databases for stacks: SQLite files under `root`, or, when DATABASE_URL points at
    PostgreSQL, databases named vigil_e2e_<pid>_<n> on that server, dropped by `close()`.

    Migrations run once, into a template; each `new()` is a copy of it (a file copy, or
    CREATE DATABASE … TEMPLATE), which takes milliseconds instead of seconds."""

    def __init__(self, root: Path, *, postgres_url: str | None = None):
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.server = pg_server(postgres_url) if postgres_url else None
        self.prefix = f"vigil_e2e_{os.getpid()}"
        self.created: list[str] = []
        self._template: str | None = None
        self._count = 0

    @property
    def vendor(self) -> str:
        return "postgresql" if self.server else "sqlite"

    def new(self) -> str:
        """The DATABASE_URL of a fresh, migrated database."""
        if self._template is None:
            self._template = self._make_template()
        self._count += 1
        if self.server is None:
            path = self.root / f"db{self._count}.sqlite3"
            shutil.copyfile(self._template, path)
            if Path(self._template + "-wal").exists():  # migrations not yet checkpointed
                shutil.copyfile(self._template + "-wal", str(path) + "-wal")
            return f"sqlite:///{path}"
        name = f"{self.prefix}_{self._count}"
        self._sql(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        self.created.append(name)
        return _pg_url(self.server, name)

    def _make_template(self) -> str:
        if self.server is None:
            path = self.root / "template.sqlite3"
            migrate(self.root / "migrate-var", f"sqlite:///{path}")
            return str(path)
        name = f"{self.prefix}_template"
        self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._sql(f'CREATE DATABASE "{name}"')
        self.created.append(name)
        migrate(self.root / "migrate-var", _pg_url(self.server, name))
        return name

    def _sql(self, statement: str) -> None:
        import psycopg2

        connection = psycopg2.connect(**self.server)
        try:
            connection.autocommit = True  # CREATE/DROP DATABASE cannot run in a transaction
            with connection.cursor() as cursor:
                cursor.execute(statement)
        finally:
            connection.close()

    def close(self) -> None:
        while self.created:
            name = self.created.pop()
            try:
                self._sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            except Exception as e:  # cleanup must go on; say what was left
                print(f"could not drop database {name}: {e}", file=sys.stderr)


def migrate(var_dir: Path, database_url: str) -> None:
    env = vigil_env(var_dir, database_url=database_url, broker_url="filesystem://")
    done = subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=180)
    if done.returncode:
        raise ProcessError(f"migrate failed:\n{done.stdout}\n{done.stderr}")


class Broker:
    """filesystem:// (each stack's var dir holds its queue), or Redis: the server
    CELERY_BROKER_URL names, on database VIGIL_TEST_REDIS_DB (5 unless set), flushed before and
    after use so that no message of another run (or of the developer's own worker on db 0) is
    consumed. Two suites running at once on one Redis server each need their own number."""

    REDIS_DB = int(os.environ.get("VIGIL_TEST_REDIS_DB", "5"))

    def __init__(self, redis_url: str | None = None):
        if redis_url:
            parts = urllib.parse.urlsplit(redis_url)
            self.url = urllib.parse.urlunsplit((parts.scheme, parts.netloc, f"/{self.REDIS_DB}", "", ""))
            self.flush()
        else:
            self.url = "filesystem://"

    @property
    def kind(self) -> str:
        return "redis" if self.url.startswith("redis") else "filesystem"

    def flush(self) -> None:
        if self.kind == "redis":
            import redis

            client = redis.Redis.from_url(self.url)
            try:
                client.flushdb()
            finally:
                client.close()

    def close(self) -> None:
        self.flush()


def redis_reachable(url: str) -> bool:
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
    finally:
        client.close()


# --- the fake provider ----------------------------------------------------------------------

class FakeTwilio(ManagedProcess):
    """tests/fakes/twilio.py as its own process, as Twilio is to a real stack. Every request is a
    JSON line in `record_path`, with `at` = the wall-clock time the fake took it in."""

    def __init__(self, tmp_path: Path, *, delay_seconds: float = 0.0):
        self.record_path = tmp_path / "twilio-requests.jsonl"
        self.record_path.touch()
        argv = [PYTHON, "-u", "-m", "tests.fakes.twilio", "--port", "0", "--record", str(self.record_path),
                "--account-sid", TWILIO_SID, "--auth-token", TWILIO_TOKEN]
        if delay_seconds:
            argv += ["--delay-seconds", str(delay_seconds)]
        super().__init__(argv, env={**os.environ, "PYTHONUNBUFFERED": "1"}, log_path=tmp_path / "twilio.log",
                         name="fake Twilio")
        self._lines: list[dict] = []
        self._offset = 0

        def printed_url():
            self.check_alive()
            out = self.output()
            return out.splitlines()[0].strip() if "\n" in out else None
        self.url = wait_until(printed_url, timeout=20, what="the fake Twilio's URL", describe=self.tail)

    def requests(self) -> list[dict]:
        """Every request so far (read incrementally: the record only grows)."""
        with self.record_path.open("rb") as f:
            f.seek(self._offset)
            chunk = f.read()
        complete = chunk[:chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        self._lines += [json.loads(line) for line in complete.splitlines() if line.strip()]
        return list(self._lines)

    def _created(self, resource: str, to: str | None) -> list[dict]:
        found = []
        for r in self.requests():
            if r["method"] == "POST" and r["path"].endswith(f"/{resource}.json") and r["status"] == 201:
                form = {k: v[-1] for k, v in r["form"].items()}
                if to is None or form.get("To") == to:
                    found.append({**form, "at": r["at"], "sid": r["response"]["sid"]})
        return found

    def sms(self, to: str | None = None) -> list[dict]:
        """Messages accepted: To, From, Body, at, sid."""
        return self._created("Messages", to)

    def calls(self, to: str | None = None) -> list[dict]:
        return self._created("Calls", to)

    def describe(self) -> str:
        lines = []
        for r in self.requests():
            shown = {k: v[-1] for k, v in r["form"].items() if k in ("To", "Body", "Url")}
            lines.append(f"  {r['method']} {r['path']} -> {r['status']} {json.dumps(shown)}")
        return "fake Twilio received:\n" + "\n".join(lines)

    def wait_for(self, predicate: Callable[[], object], *, timeout: float, what: str) -> object:
        return wait_until(predicate, timeout=timeout, what=what, describe=self.describe)


# --- Vigil: environment, web + worker, bare workers -------------------------------------------

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


# --- a Django process on the stack's database -------------------------------------------------

_PROBE_MAIN = r"""
import importlib, json, sys, traceback
import django
django.setup()
from django.db import close_old_connections
MARK = "\x1eprobe "
print(MARK + json.dumps({"ok": "ready"}), flush=True)
for line in sys.stdin:
    call = json.loads(line)
    try:
        target = importlib.import_module(call["module"])
        for part in call["name"].split("."):
            target = getattr(target, part)
        answer = {"ok": target(**call["kwargs"])}
    except BaseException:
        answer = {"error": traceback.format_exc()}
    finally:
        close_old_connections()
    print(MARK + json.dumps(answer, default=str), flush=True)
"""
_PROBE_MARK = "\x1eprobe "


class DjangoProbe:
    """A long-lived Python process with Django set up from a stack's environment: the same
    database and broker as the stack. `probe(fn, **kwargs)` runs a module-level function there
    (by module and name) and returns its JSON-able result; what it sends with Celery reaches the
    stack's workers. One process for many calls: Django's start-up is paid once."""

    def __init__(self, env: dict, *, timeout: float = 60):
        self.timeout = timeout
        self.proc = subprocess.Popen([PYTHON, "-u", "-c", _PROBE_MAIN], cwd=REPO, env={**env, "LOG_LEVEL": "WARNING"},
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, start_new_session=True)
        self._answers: queue.Queue = queue.Queue()
        self._stderr: list[str] = []
        threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True).start()
        threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True).start()
        self._answer()

    def _read(self, stream, answers: bool) -> None:
        for line in stream:
            if answers and line.startswith(_PROBE_MARK):
                self._answers.put(json.loads(line[len(_PROBE_MARK):]))
            else:
                self._stderr.append(line)
        if answers:
            self._answers.put({"error": "the probe process exited"})

    def _answer(self):
        try:
            answer = self._answers.get(timeout=self.timeout)
        except queue.Empty:
            raise ProcessError(f"the Django probe did not answer within {self.timeout} s\n"
                               f"{''.join(self._stderr[-40:])}") from None
        if "error" in answer:
            raise ProcessError(f"in the Django probe: {answer['error']}\n{''.join(self._stderr[-40:])}")
        return answer["ok"]

    def __call__(self, fn: Callable, **kwargs):
        self.proc.stdin.write(json.dumps({"module": fn.__module__, "name": fn.__qualname__, "kwargs": kwargs}) + "\n")
        self.proc.stdin.flush()
        return self._answer()

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


# --- HTTP as a monitor and as Twilio --------------------------------------------------------

def http_post(url: str, *, data: bytes, content_type: str, headers: dict | None = None,
              timeout: float = 10) -> tuple[int, str]:
    request = urllib.request.Request(url, data=data, method="POST",
                                     headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode()


def post_alert(url: str, body: dict) -> tuple[int, str]:
    return http_post(url, data=json.dumps(body).encode(), content_type="application/json")


def post_signed_sms(stack_url: str, public_url: str, *, from_: str, body: str) -> tuple[int, str]:
    """An inbound SMS as Twilio delivers it: form-encoded, signed over PUBLIC_URL + path."""
    from twilio.request_validator import RequestValidator

    path = "/notifications/twilio/sms/"
    # Every message has an id of its own: Vigil answers a repeated MessageSid with an empty reply.
    params = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": TWILIO_SID, "From": from_, "To": TWILIO_FROM,
              "Body": body, "NumMedia": "0"}
    signature = RequestValidator(TWILIO_TOKEN).compute_signature(public_url + path, params)
    return http_post(stack_url + path, data=urllib.parse.urlencode(params).encode(),
                     content_type="application/x-www-form-urlencoded", headers={"X-Twilio-Signature": signature})


# --- run inside the probe -------------------------------------------------------------------

def seed_paging(*, team: str, people: dict, steps: list, on_call: list[str] | None = None,
                repeat_count: int = 0) -> dict:
    """One team, service, escalation policy and generic integration.

    people: {"alice": {"sms": ["+14155550101", [["high", 0]]], "voice": [...]}} — verified
        contact methods and their notification rules (urgency, delay in minutes).
    on_call: people of a weekly "Primary" schedule (the first is on call this week if alone).
    steps: [[delay_minutes, ["alice", "schedule", ...]], ...]. The delay is written to the row
        directly, so 0 (the next step is due at once) is possible, below the editor's 1 minute.
    Returns ids, usernames and the integration's path (with its token).
    """
    from datetime import date, time as clock

    from django.contrib.auth.models import User
    from django.utils import timezone

    from incidents.models import Service
    from incidents.services import integration_create
    from oncall import contacts, policies, schedules
    from oncall.models import EscalationStep, Layer, Membership, Schedule, Team

    team_row = Team.objects.create(name=team, slug=team.lower().replace(" ", "-"))
    users, methods = {}, {}
    for name, kinds in people.items():
        user = User.objects.create_user(username=name, email=f"{name}@example.com")
        Membership.objects.create(team=team_row, user=user, role=Membership.Role.RESPONDER)
        users[name] = user
        for kind, (value, rules) in kinds.items():
            method = contacts.contact_method_create(user=user, kind=kind, value=value)
            method.verified_at = timezone.now()
            method.save(update_fields=["verified_at"])
            methods.setdefault(name, {})[kind] = method.pk
            for urgency, delay in rules:
                contacts.notification_rule_create(user=user, urgency=urgency, contact_method=method,
                                                  delay_minutes=delay)
    schedule = None
    if on_call:
        schedule = Schedule.objects.create(team=team_row, name="Primary", time_zone="UTC")
        layer = Layer.objects.create(schedule=schedule, turn_unit="weeks", turn_length=1, handoff_time=clock(9),
                                     start_date=date(2020, 1, 6))
        schedules.layer_participants_set(layer=layer, users=[users[n] for n in on_call])

    def target(name: str) -> dict:
        return {"kind": "schedule", "id": schedule.pk} if name == "schedule" else {"kind": "user", "id": users[name].pk}

    policy = policies.policy_create(team=team_row, name="Paging", repeat_count=repeat_count, steps=[
        {"delay_minutes": 1, "targets": [target(n) for n in names]} for _delay, names in steps])
    for position, (delay, _names) in enumerate(steps):
        EscalationStep.objects.filter(policy=policy, position=position).update(delay_minutes=delay)
    service = Service.objects.create(team=team_row, name=f"{team} service", escalation_policy=policy)
    _, token = integration_create(service=service, kind="generic", name="monitor")
    return {"team": team_row.pk, "service": service.pk, "policy": policy.pk,
            "users": {n: u.pk for n, u in users.items()}, "methods": methods,
            "integration_path": f"/integrations/{token}/"}


def trigger(*, service: int, title: str, dedup_key: str) -> dict:
    """Open an incident as an alert would (the engine is kicked after commit)."""
    from incidents.models import Service
    from incidents.services import incident_trigger

    incident, _ = incident_trigger(service=Service.objects.get(pk=service), title=title, dedup_key=dedup_key)
    return {"id": incident.pk, "number": incident.number}


def send_task(*, name: str, args: list | None = None, **options) -> float:
    """Send a task through the stack's broker; returns the wall-clock time it was sent."""
    from celery import current_app

    current_app.send_task(name, args=args or [], **options)
    return time.time()


def incident_state(*, incident: int) -> dict:
    """The engine's view of one incident: status, position, pages, deliveries and timeline."""
    from incidents.models import Incident
    from notifications.models import Delivery, Page

    row = Incident.objects.get(pk=incident)
    return {
        "number": row.number, "status": row.status, "step": row.escalation_step, "loop": row.escalation_loop,
        "next_escalation_at": row.next_escalation_at,
        "pages": [{"user": p.user.username, "step": p.step, "loop": p.loop}
                  for p in Page.objects.filter(incident=row).select_related("user")],
        "deliveries": [{"id": d.pk, "user": d.page.user.username, "kind": d.kind, "status": d.status,
                        "attempts": d.attempts, "provider_id": d.provider_id, "error": d.error}
                       for d in Delivery.objects.filter(page__incident=row).select_related("page__user")],
        "timeline": [{"kind": e.kind, "text": e.text, "data": e.data} for e in row.timeline.order_by("at", "id")],
    }


# --- test plumbing --------------------------------------------------------------------------

class Closer:
    """Closes what it was given, last first, even when a test failed half-way:
    `twilio = closer(FakeTwilio(tmp_path))`."""

    def __init__(self):
        self._things: list = []

    def __call__(self, thing):
        self._things.append(thing)
        return thing

    def close_all(self) -> None:
        errors = []
        while self._things:
            try:
                self._things.pop().close()
            except Exception as e:  # keep closing the rest
                errors.append(e)
        if errors:
            raise errors[0]


_shared_databases: dict[str, Databases] = {}


def shared_databases(root: Path) -> Databases:
    """One Databases per test session and server, so that migrations run once for all modules."""
    url = os.environ["DATABASE_URL"] if on_postgres() else None
    key = url or "sqlite"
    if key not in _shared_databases:
        _shared_databases[key] = Databases(root, postgres_url=url)
    return _shared_databases[key]


def suite_broker() -> Broker:
    """The broker the suite runs on: Redis (db 5) when CELERY_BROKER_URL is redis://, else filesystem."""
    return Broker(os.environ["CELERY_BROKER_URL"] if on_redis() else None)
