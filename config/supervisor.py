"""The process that `manage.py serve` becomes: it watches gunicorn and the Celery worker and stops
them, and nothing else. Standard library only, run as a script (never imported through the
`config` package, whose __init__ loads Celery): `serve` prepares everything with Django, then
exec's this file, so the supervisor that idles beside the children holds no Django, no Celery
and no database connection (about 10 MB instead of 85).

Each child runs in a session of its own, so a terminal's Ctrl-C reaches only this process, which
then stops the children in order: SIGTERM to each leader (gunicorn and Celery both shut down
gracefully on it and stop their own workers), then, after STOP_TIMEOUT, SIGKILL to each child's
whole process group, so that nothing they forked (gunicorn workers, the beat process) outlives
`serve`. If a child dies on its own, the others are stopped and the supervisor exits non-zero, so
a supervisor above it notices.

Usage (what serve exec's): python config/supervisor.py '{"children": [["web", [argv…]], …],
"banner": "text printed once the children are started"}'
"""
import ctypes
import json
import os
import signal
import subprocess
import sys
import time

STOP_TIMEOUT = 10.0
POLL_INTERVAL = 0.2
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1
# Loaded before any fork: the child between fork and exec should do as little as possible.
_libc = ctypes.CDLL(None, use_errno=True) if sys.platform == "linux" else None


def _die_with_parent() -> None:
    """Runs in the child before exec: if the supervisor is SIGKILLed it cannot stop anyone, so the
    kernel sends the child SIGTERM instead (Linux only)."""
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
    def __init__(self, log, *, stop_timeout: float = STOP_TIMEOUT):
        self.log = log
        self.stop_timeout = stop_timeout
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
        deadline = time.monotonic() + self.stop_timeout
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


def say(text: str) -> None:
    sys.stdout.write(text + "\n")
    sys.stdout.flush()


def run(children: list[tuple[str, list[str]]], banner: str) -> int:
    supervisor = Supervisor(say)
    for signum in STOP_SIGNALS:
        signal.signal(signum, supervisor.on_signal)
    exited = None
    try:
        for name, argv in children:
            supervisor.start(name, argv)
        say(banner)
        exited = supervisor.wait()
        if exited:
            say(f"{exited[0]} exited unexpectedly with code {exited[1]}; stopping everything.")
    finally:
        # Also when starting the second child failed: the first must not be left running.
        if supervisor.stop_requested is not None:
            say(f"Received {signal.Signals(supervisor.stop_requested).name}; stopping.")
        supervisor.stop()
    if exited:
        sys.stderr.write(f"CommandError: {exited[0]} exited unexpectedly with code {exited[1]}; "
                         "stopped everything else\n")
        return 1
    say("Stopped.")
    return 0


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        sys.stderr.write("usage: supervisor.py SPEC_JSON (manage.py serve runs this; run that instead)\n")
        return 2
    spec = json.loads(argv[1])
    return run([(name, child_argv) for name, child_argv in spec["children"]], spec["banner"])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
