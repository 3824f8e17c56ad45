"""Subprocesses in sessions of their own: start, wait for, stop, kill, and prove nothing is left."""
from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PYTHON = sys.executable

STARTUP_TIMEOUT = 60
STOP_TIMEOUT = 20


class ProcessError(AssertionError):
    """A process under test misbehaved; the message carries its log."""


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

    def __init__(self, argv: list[str], *, env: dict, log_path: Path, name: str, cwd: Path = REPO):
        self.name, self.log_path = name, log_path
        self._log = log_path.open("ab")
        self.proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=self._log, stderr=subprocess.STDOUT,
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
