"""A local stand-in for api.twilio.com: the Messages and Calls resources of the 2010-04-01 API.

    fake = TwilioFake(account_sid="AC…", auth_token="…").start()
    # point TWILIO_API_BASE_URL at fake.url
    fake.reject_number("+15005550001", code=21211)   # every send to it fails like Twilio's
    fake.fail_next(status=500)                        # the next request fails once
    fake.garble_next()                                # the next answer is a proxy's HTML page, not JSON
    TwilioFake(delay_seconds=5)                       # a slow provider: answers 5 s late
    fake.sent_to("+14155550100"), fake.calls_to(...), fake.messages, fake.calls

Answers are shaped like Twilio's (201 with a fresh SM…/CA… sid, status "queued"; errors as
{"code", "message", "more_info", "status"}), so the real SDK parses them as it would Twilio's.
"""
import base64
import re
import secrets
import time
from email.utils import formatdate

from . import FakeServer, json_response, serve_forever_from_command_line

_RESOURCE = re.compile(r"^/2010-04-01/Accounts/(?P<sid>AC\w+)/(?P<resource>Messages|Calls)\.json$")


class TwilioFake(FakeServer):
    """A fake Twilio REST API (Messages and Calls)."""

    def __init__(self, *, account_sid: str | None = None, auth_token: str | None = None,
                 delay_seconds: float = 0.0, **kwargs):
        super().__init__(**kwargs)
        self.account_sid, self.auth_token = account_sid, auth_token
        self.delay_seconds = delay_seconds
        self.messages: list[dict] = []
        self.calls: list[dict] = []
        self._failures: list[dict] = []
        self._garbled = 0
        self._rejected: dict[str, dict] = {}

    def fail_next(self, *, status: int = 400, code: int | None = None, message: str = "") -> None:
        """The next request fails with this HTTP status and Twilio error code (queued, in order)."""
        with self.lock:
            self._failures.append(_error(status, code, message))

    def garble_next(self, times: int = 1) -> None:
        """The next `times` requests are answered 200 with an HTML page, as a misbehaving proxy
        in front of the provider would: nothing the SDK can parse."""
        with self.lock:
            self._garbled += times

    def reject_number(self, number: str, *, code: int = 21211, status: int = 400, message: str = "") -> None:
        """Every message or call to `number` fails, as Twilio refuses an invalid or STOPped number."""
        with self.lock:
            self._rejected[number] = _error(status, code, message or f"The 'To' number {number} is not reachable.")

    def sent_to(self, number: str) -> int:
        with self.lock:
            return sum(1 for m in self.messages if m["to"] == number)

    def calls_to(self, number: str) -> int:
        with self.lock:
            return sum(1 for c in self.calls if c["to"] == number)

    def _serve(self, request: dict) -> tuple[int, dict, bytes]:
        # The request is recorded (and the message "sent") before the wait, outside the lock: a
        # client that dies while waiting has already reached the provider, as with a real one.
        answer = super()._serve(request)
        if self.delay_seconds:
            time.sleep(self.delay_seconds)
        return answer

    def handle(self, request: dict) -> tuple[int, dict, bytes]:
        match = _RESOURCE.match(request["path"])
        if request["method"] != "POST" or match is None:
            return _respond(_error(404, 20404, f"The requested resource {request['path']} was not found"))
        if not self._authorized(request["headers"].get("Authorization", ""), match["sid"]):
            return _respond(_error(401, 20003, "Authenticate"))
        form = {name: values[-1] for name, values in request["form"].items()}
        to = form.get("To", "")
        if not to or not form.get("From"):
            return _respond(_error(400, 21604 if not to else 21603, "A 'To' and a 'From' phone number are required."))
        if self._failures:
            return _respond(self._failures.pop(0))
        if self._garbled:
            self._garbled -= 1
            return 200, {"Content-Type": "text/html"}, b"<html><body>502 Bad Gateway</body></html>"
        if to in self._rejected:
            return _respond(self._rejected[to])
        if match["resource"] == "Messages":
            return self._create_message(match["sid"], form)
        return self._create_call(match["sid"], form, request["form"])

    def _authorized(self, header: str, path_sid: str) -> bool:
        # Twilio authenticates with HTTP Basic: the account SID (or an API key) and the token.
        if not header.startswith("Basic "):
            return False
        try:
            username, _, password = base64.b64decode(header[6:]).decode().partition(":")
        except ValueError:
            return False
        if self.account_sid is not None and username != self.account_sid:
            return False
        return username == path_sid and (self.auth_token is None or password == self.auth_token)

    def _create_message(self, account_sid: str, form: dict) -> tuple[int, dict, bytes]:
        sid = "SM" + secrets.token_hex(16)
        message = {"sid": sid, "to": form["To"], "from": form["From"], "body": form.get("Body", ""),
                   "status_callback": form.get("StatusCallback", ""), "account_sid": account_sid}
        self.messages.append(message)
        return json_response(201, {
            **_common(account_sid, sid, "Messages"), "to": message["to"], "from": message["from"],
            "body": message["body"], "status": "queued", "direction": "outbound-api", "num_segments": "1",
            "num_media": "0", "messaging_service_sid": None, "price": None, "price_unit": "USD",
            "error_code": None, "error_message": None,
        })

    def _create_call(self, account_sid: str, form: dict, lists: dict) -> tuple[int, dict, bytes]:
        if not (form.get("Url") or form.get("Twiml") or form.get("ApplicationSid")):
            return _respond(_error(400, 21205, "Url parameter is required."))
        sid = "CA" + secrets.token_hex(16)
        call = {"sid": sid, "to": form["To"], "from": form["From"], "url": form.get("Url", ""),
                "twiml": form.get("Twiml", ""), "status_callback": form.get("StatusCallback", ""),
                "status_callback_event": lists.get("StatusCallbackEvent", []),
                "machine_detection": form.get("MachineDetection", ""), "timeout": form.get("Timeout", ""),
                "account_sid": account_sid}
        self.calls.append(call)
        return json_response(201, {
            **_common(account_sid, sid, "Calls"), "to": call["to"], "from": call["from"], "status": "queued",
            "direction": "outbound-api", "answered_by": None, "duration": None, "price": None,
            "parent_call_sid": None, "phone_number_sid": None,
        })


def _common(account_sid: str, sid: str, resource: str) -> dict:
    now = formatdate(usegmt=True)  # Twilio's dates are RFC 2822
    return {"sid": sid, "account_sid": account_sid, "api_version": "2010-04-01", "date_created": now,
            "date_updated": now, "date_sent": None, "uri": f"/2010-04-01/Accounts/{account_sid}/{resource}/{sid}.json",
            "subresource_uris": {}}


def _error(status: int, code: int | None, message: str) -> dict:
    code = code if code is not None else status
    return {"code": code, "message": message or f"Fake Twilio error {code}",
            "more_info": f"https://www.twilio.com/docs/errors/{code}", "status": status}


def _respond(error: dict) -> tuple[int, dict, bytes]:
    return json_response(error["status"], error)


def _from_command_line(args, *, record) -> TwilioFake:
    fake = TwilioFake(host=args.host, port=args.port, record=record, account_sid=args.account_sid,
                      auth_token=args.auth_token, delay_seconds=args.delay_seconds)
    for rejection in args.reject:
        number, _, code = rejection.partition("=")
        fake.reject_number(number, code=int(code or 21211))
    return fake


_from_command_line.__doc__ = TwilioFake.__doc__

if __name__ == "__main__":
    serve_forever_from_command_line(
        _from_command_line,
        **{"--account-sid": {"help": "accept only this account SID (default: any)"},
           "--auth-token": {"help": "accept only this auth token (default: any)"},
           "--delay-seconds": {"type": float, "default": 0.0,
                               "help": "answer every request this many seconds late, after recording it"},
           "--reject": {"action": "append", "default": [], "metavar": "NUMBER[=CODE]",
                        "help": "fail every send to NUMBER with Twilio error CODE (default 21211); repeatable"}})
