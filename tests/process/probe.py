"""A Django process on a stack's database, to seed it and look inside it (see probe_calls.py)."""
from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import threading
from collections.abc import Callable

from .processes import PYTHON, REPO, ProcessError


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
