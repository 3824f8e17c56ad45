"""A real HTTP receiver for outgoing webhooks, on loopback: it checks every request's signature
as README tells receivers to, answers 500 to its first `fail_first` requests, and can be stopped
and started again on the same port."""
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from incidents.outgoing.signing import signature_valid


class WebhookReceiver:
    def __init__(self, *, secret: str = "", fail_first: int = 0):
        self.secret = secret
        self.fail_first = fail_first
        self.requests: list[dict] = []  # every request, with `valid` and the status answered
        self.port = 0
        self._server = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/vigil"

    @property
    def events(self) -> list[dict]:
        """Bodies answered 2xx, in arrival order."""
        return [r["body"] for r in self.requests if r["status"] == 204]

    def start(self) -> "WebhookReceiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                valid = signature_valid(secret=receiver.secret, body=raw,
                                        header=self.headers.get("Vigil-Signature", ""), now=time.time())
                failing = len(receiver.requests) < receiver.fail_first
                status = 401 if not valid else 500 if failing else 204
                receiver.requests.append({"body": json.loads(raw), "valid": valid, "status": status,
                                          "event": self.headers.get("Vigil-Event")})
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self._server.server_address[1]
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
