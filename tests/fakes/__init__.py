"""Local HTTP servers that answer like Twilio and Slack, for the real SDKs to talk to.

Each fake runs a ThreadingHTTPServer on 127.0.0.1 (a free port) in a daemon thread, records every
request, and can be told to fail. The same fakes serve the in-process tests (pytest fixtures in
tests/notifications/conftest.py) and end-to-end runs in another process
(`python -m tests.fakes.twilio --port N --record requests.jsonl`).

No Django here: the fakes are imported by processes that are not Django.
"""
import json
import signal
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, Callable
from urllib.parse import parse_qs, urlsplit


class FakeServer:
    """The server, its thread, the record of requests, and waiting on them.

    Subclasses implement `handle(request) -> (status, headers, body)`; `request` is a dict with
    method, path, query, headers, form (lists of values), json, raw body."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, record: IO[str] | None = None):
        self.requests: list[dict] = []
        self._changed = threading.Condition()
        self._record = record
        self._httpd = ThreadingHTTPServer((host, port), _handler_for(self))
        self._httpd.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> "FakeServer":
        # A short poll interval: stop() waits for the loop to notice, and tests stop a fake each.
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.02},
                                        name=type(self).__name__, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    @property
    def lock(self) -> threading.Condition:
        """Hold it to read or change the fake's state consistently with the server threads."""
        return self._changed

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 5.0) -> bool:
        """Wait until `predicate()` is true (checked after every request); False on timeout."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._changed.wait(left)
            return True

    def handle(self, request: dict) -> tuple[int, dict, bytes]:
        raise NotImplementedError

    def _serve(self, request: dict) -> tuple[int, dict, bytes]:
        with self._changed:
            status, headers, body = self.handle(request)
            entry = {**{k: v for k, v in request.items() if k != "body"}, "status": status,
                     "response": _maybe_json(body), "at": time.time()}
            self.requests.append(entry)
            if self._record is not None:
                self._record.write(json.dumps(entry, default=str) + "\n")
                self._record.flush()
            self._changed.notify_all()
        return status, headers, body


def json_response(status: int, payload: dict, headers: dict | None = None) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json; charset=utf-8", **(headers or {})}, json.dumps(payload).encode()


def serve_forever_from_command_line(make_fake: Callable[..., FakeServer], argv: list[str] | None = None,
                                    **extra_args) -> None:
    """`python -m tests.fakes.<name> --port N [--record PATH]`: print the URL, record requests as
    JSON lines to PATH (or stdout), run until interrupted."""
    import argparse

    parser = argparse.ArgumentParser(description=make_fake.__doc__)
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port (printed on the first line)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--record", help="append each request as a JSON line to this file (default: stdout)")
    for flag, options in extra_args.items():
        parser.add_argument(flag, **options)
    args = parser.parse_args(argv)
    record = open(args.record, "a", buffering=1) if args.record else sys.stdout
    fake = make_fake(args, record=record)
    # A supervising test stops the fake with SIGTERM: leave through the same clean exit as Ctrl-C.
    signal.signal(signal.SIGTERM, _interrupt)
    print(fake.url, flush=True)
    fake.start()
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        pass
    finally:
        fake.stop()


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def _maybe_json(body: bytes):
    try:
        return json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")


def _handler_for(fake: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, as the SDKs' connection pools expect

        def do_GET(self):
            self._dispatch()

        def do_POST(self):
            self._dispatch()

        def _dispatch(self):
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            content_type = self.headers.get("Content-Type", "")
            request = {
                "method": self.command, "path": parts.path, "query": parse_qs(parts.query),
                "headers": dict(self.headers.items()), "body": raw,
                "form": parse_qs(raw.decode("utf-8", "replace"), keep_blank_values=True)
                if content_type.startswith("application/x-www-form-urlencoded") else {},
                "json": _maybe_json(raw) if content_type.startswith("application/json") else None,
            }
            try:
                status, headers, body = fake._serve(request)
            except Exception as e:  # a bug in a fake must show in the test, not hang the SDK
                status, headers, body = json_response(500, {"error": f"fake crashed: {e!r}"})
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, str(value))
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format, *args):  # the record is the log
            pass

    return Handler
