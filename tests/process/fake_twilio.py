"""The fake Twilio (tests/fakes/twilio.py) as its own process, and what it was asked to send."""
from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from .processes import PYTHON, ManagedProcess, wait_until

TWILIO_SID = "AC" + "0123456789abcdef" * 2
TWILIO_TOKEN = "twilio-e2e-auth-token"
TWILIO_FROM = "+15005550006"


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
