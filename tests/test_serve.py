"""`manage.py serve` as `make run` uses it: a real gunicorn and Celery worker, stopped by a signal."""
import ast
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
STARTUP_TIMEOUT = 90
EXIT_TIMEOUT = 15


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def serve_env(tmp_path):
    env = {**os.environ, "VIGIL_VAR_DIR": str(tmp_path / "var"), "HOST": "127.0.0.1", "PORT": str(free_port()),
           "WEB_CONCURRENCY": "2", "PYTHONUNBUFFERED": "1"}
    env.pop("PUBLIC_URL", None)
    if not env.get("DATABASE_URL"):
        # CI's PostgreSQL run keeps its DATABASE_URL; /healthz needs no tables there.
        env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'db.sqlite3'}"
        subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v0"], cwd=REPO, env=env,
                       check=True, timeout=120)
    return env


def proc_stat(pid: str) -> tuple[int, str, int, int] | None:
    """(ppid, state, pgid, session) of a live process, from /proc."""
    try:
        raw = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = raw[raw.rindex(")") + 2:].split()
    return int(fields[1]), fields[0], int(fields[2]), int(fields[3])


def processes() -> dict[int, tuple[int, str, int, int]]:
    found = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := proc_stat(entry)):
            found[int(entry)] = stat
    return found


def running_in(sessions: set[int]) -> list[int]:
    """Processes still running (zombies are the init's to reap) in any of these sessions."""
    return [pid for pid, (_ppid, state, pgid, sid) in processes().items()
            if state != "Z" and (sid in sessions or pgid in sessions)]


def left_running(sessions: set[int], *, within: float = 3.0) -> list[int]:
    """running_in, allowing the kernel a moment to finish off processes that were just SIGKILLed."""
    deadline = time.monotonic() + within
    while (alive := running_in(sessions)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return alive


class Serve:
    def __init__(self, env: dict, log_path: Path):
        self.port = int(env["PORT"])
        self.log_path = log_path
        self.log = log_path.open("wb")
        self.proc = subprocess.Popen([sys.executable, "manage.py", "serve"], cwd=REPO, env=env, stdout=self.log,
                                     stderr=subprocess.STDOUT, start_new_session=True)
        self.sessions = {self.proc.pid}

    def output(self) -> str:
        return self.log_path.read_text(errors="replace")

    def healthz(self) -> int | None:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as e:
            return e.code
        except OSError:
            return None

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"serve exited early:\n{self.output()}"
            out = self.output()
            if self.healthz() == 200 and " ready." in out and "beat: Starting" in out:
                # Children run in sessions of their own, named by their pids.
                self.sessions |= {pid for pid, (ppid, *_rest) in processes().items() if ppid == self.proc.pid}
                return
            time.sleep(0.3)
        pytest.fail(f"serve was not ready within {STARTUP_TIMEOUT}s:\n{self.output()}")

    def child_pid(self, name: str) -> int:
        for pid, (ppid, *_rest) in processes().items():
            if ppid == self.proc.pid and name in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace"):
                return pid
        raise AssertionError(f"no {name} child of serve")

    def exit_code(self) -> int:
        try:
            return self.proc.wait(timeout=EXIT_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"serve did not exit within {EXIT_TIMEOUT}s:\n{self.output()}")

    def cleanup(self) -> None:
        for pgid in self.sessions:
            try:
                os.killpg(pgid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def serve(serve_env, tmp_path):
    server = Serve(serve_env, tmp_path / "serve.log")
    yield server
    server.cleanup()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_a_stop_signal_stops_the_web_server_and_the_worker_leaving_no_process(serve, signum):
    serve.wait_until_ready()
    assert "Vigil is listening on http://127.0.0.1:" in serve.output()
    # serve, the gunicorn master and its two workers, the Celery worker and its beat process
    assert len(running_in(serve.sessions)) >= 6, serve.output()

    os.kill(serve.proc.pid, signum)
    assert serve.exit_code() == 0, serve.output()
    assert left_running(serve.sessions) == [], serve.output()
    assert "Stopped." in serve.output()


def test_the_access_log_hides_integration_tokens(serve):
    serve.wait_until_ready()
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{serve.port}/integrations/int_TOKEN-IN-THE-PATH/", timeout=5)
    except urllib.error.HTTPError:
        pass
    deadline = time.monotonic() + 20
    # Wait for gunicorn's access line itself: Django's "Not Found: /integrations/[redacted]/" warning
    # comes first and, waited for instead, left the access line unwritten now and then.
    while '"GET /integrations/' not in serve.output() and time.monotonic() < deadline:
        time.sleep(0.1)
    access_lines = [line for line in serve.output().splitlines() if '"GET /integrations/' in line]
    assert access_lines and all("int_TOKEN-IN-THE-PATH" not in line for line in access_lines), access_lines


def test_no_log_line_carries_a_token_from_a_path_or_a_referer(serve):
    serve.wait_until_ready()
    ack, integration = "9.9:1tAbCd:ACK-TOKEN-IN-A-REFERER", "int_TOKEN-IN-A-REFERER"
    base = f"http://127.0.0.1:{serve.port}"
    requests = [
        # What a browser on the ack page asks for next, before the page said no-referrer.
        urllib.request.Request(f"{base}/static/incidents/vigil.css", headers={"Referer": f"{base}/a/{ack}"}),
        urllib.request.Request(f"{base}/healthz", headers={"Referer": f"{base}/integrations/{integration}/"}),
        # Django logs these as 404 and 405 warnings, with their path.
        urllib.request.Request(f"{base}/a/{ack}", headers={"Referer": f"{base}/a/{ack}"}),
        urllib.request.Request(f"{base}/integrations/{integration}/", headers={"Referer": f"{base}/a/{ack}"}),
    ]
    for request in requests:
        try:
            urllib.request.urlopen(request, timeout=5)
        except urllib.error.HTTPError:
            pass
    deadline = time.monotonic() + 20
    while serve.output().count("/a/[redacted]") < 4 and time.monotonic() < deadline:
        time.sleep(0.1)
    output = serve.output()
    assert '"GET /static/incidents/vigil.css' in output and "Not Found: /a/[redacted]" in output, output
    assert ack not in output and integration not in output, output


def test_when_a_child_dies_serve_stops_the_rest_and_fails(serve):
    serve.wait_until_ready()
    os.kill(serve.child_pid("gunicorn"), signal.SIGKILL)
    assert serve.exit_code() != 0
    assert "web exited unexpectedly with code -9" in serve.output()
    assert left_running(serve.sessions) == [], serve.output()


def test_a_child_that_ignores_sigterm_is_killed_with_everything_it_forked(monkeypatch):
    from config.supervisor import Supervisor

    stubborn = (
        "import signal, subprocess, sys, time\n"
        "signal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
        "subprocess.Popen([sys.executable, '-c', 'import signal, time; "
        "signal.signal(signal.SIGTERM, signal.SIG_IGN); time.sleep(60)'])\n"
        "time.sleep(60)\n"
    )
    supervisor = Supervisor(log=lambda text: None, stop_timeout=1.0)
    supervisor.start("stubborn", [sys.executable, "-c", stubborn])
    pgid = supervisor.children["stubborn"].pid
    try:
        deadline = time.monotonic() + 10
        while len(running_in({pgid})) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(running_in({pgid})) == 2

        started = time.monotonic()
        supervisor.stop()
        assert time.monotonic() - started < 5
        assert left_running({pgid}) == []
    finally:
        try:
            os.killpg(pgid, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_the_process_that_stays_is_the_supervisor_script_with_no_django_loaded(serve):
    serve.wait_until_ready()
    cmdline = Path(f"/proc/{serve.proc.pid}/cmdline").read_bytes().split(b"\0")
    assert cmdline[1].endswith(b"config/supervisor.py"), cmdline
    # Python modules are files it opened and closed, so look at what the module itself imports.
    tree = ast.parse((REPO / "config" / "supervisor.py").read_text())
    imported = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                for alias in node.names}
    imported |= {node.module.split(".")[0] for node in ast.walk(tree)
                 if isinstance(node, ast.ImportFrom) and node.module}
    assert imported <= set(sys.stdlib_module_names), imported - set(sys.stdlib_module_names)
    assert not any(isinstance(node, ast.ImportFrom) and node.level for node in ast.walk(tree))
