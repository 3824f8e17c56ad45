"""A local stand-in for slack.com/api: conversations.open, chat.postMessage and chat.update.

    fake = SlackFake(token="xoxb-test").start()
    # point SLACK_API_BASE_URL at fake.url + "/api/"
    fake.fail_next(error="channel_not_found")          # HTTP 200 {"ok": false, ...}, as Slack does
    fake.fail_next(status=429, retry_after=30)          # HTTP 429 ratelimited with Retry-After
    fake.reject("U0BADUSER", error="user_not_found")    # every call naming it fails
    fake.messages, fake.posted_to("C0INCIDENTS"), fake.message("C…", "ts")

Bodies may be JSON or form-encoded (the SDK sends both); the bot token must come as
`Authorization: Bearer …`.
"""
import json

from . import FakeServer, json_response, serve_forever_from_command_line


class SlackFake(FakeServer):
    """A fake Slack Web API (conversations.open, chat.postMessage, chat.update)."""

    def __init__(self, *, token: str | None = "xoxb-test", **kwargs):
        super().__init__(**kwargs)
        self.token = token
        self.messages: list[dict] = []  # every posted message, as it stands after updates
        self.updates: list[dict] = []
        self._failures: list[tuple[int, str, int | None]] = []
        self._rejected: dict[str, str] = {}
        self._ts = 100

    def fail_next(self, *, error: str = "ratelimited", status: int | None = None, retry_after: int | None = None) -> None:
        """The next call fails: HTTP 200 with {"ok": false, "error": error}, or HTTP `status`
        (429 defaults to Retry-After: 30, as Slack always sends one)."""
        if status == 429 and retry_after is None:
            retry_after = 30
        with self.lock:
            self._failures.append((status or 200, error, retry_after))

    def reject(self, channel_or_user: str, *, error: str = "channel_not_found") -> None:
        with self.lock:
            self._rejected[channel_or_user] = error

    def posted_to(self, channel: str) -> int:
        with self.lock:
            return sum(1 for m in self.messages if m["channel"] == channel)

    def message(self, channel: str, ts: str) -> dict | None:
        with self.lock:
            return next((m for m in self.messages if m["channel"] == channel and m["ts"] == ts), None)

    def handle(self, request: dict) -> tuple[int, dict, bytes]:
        method = request["path"].rsplit("/", 1)[-1]
        if not request["path"].startswith("/api/") or method not in _METHODS:
            return json_response(404, {"ok": False, "error": "unknown_method"})
        token = request["headers"].get("Authorization", "").removeprefix("Bearer ")
        if not token:
            return _fail("not_authed")
        if self.token is not None and token != self.token:
            return _fail("invalid_auth")
        if self._failures:
            status, error, retry_after = self._failures.pop(0)
            if status >= 500:
                return status, {"Content-Type": "text/html"}, b"<html><body>Service Unavailable</body></html>"
            return _fail(error, status=status, headers={"Retry-After": retry_after} if retry_after else None)
        args = _arguments(request)
        for name in ("users", "channel"):
            if args.get(name) in self._rejected:
                return _fail(self._rejected[args[name]])
        return getattr(self, _METHODS[method])(args)

    def _open(self, args: dict) -> tuple[int, dict, bytes]:
        users = str(args.get("users", ""))
        if not users or "," in users:
            return _fail("not_enough_users" if not users else "invalid_arguments")
        return json_response(200, {"ok": True, "no_op": True, "already_open": True, "channel": {"id": _dm_id(users)}})

    def _post(self, args: dict) -> tuple[int, dict, bytes]:
        channel = str(args.get("channel", ""))
        if not channel:
            return _fail("channel_not_found")
        if channel[:1] in ("U", "W"):  # a member id: Slack posts to the app's DM with them
            channel = _dm_id(channel)
        self._ts += 100
        message = {"channel": channel, "ts": f"1700000000.{self._ts:06d}", "text": args.get("text", ""),
                   "blocks": args.get("blocks") or [], "args": args}
        self.messages.append(message)
        return json_response(200, {"ok": True, "channel": channel, "ts": message["ts"],
                                   "message": {"type": "message", "text": message["text"], "ts": message["ts"],
                                               "blocks": message["blocks"], "bot_id": "B0FAKEBOT"}})

    def _update(self, args: dict) -> tuple[int, dict, bytes]:
        message = next((m for m in self.messages if m["channel"] == args.get("channel") and m["ts"] == args.get("ts")), None)
        if message is None:
            return _fail("message_not_found")
        message.update(text=args.get("text", ""), blocks=args.get("blocks") or [])
        self.updates.append({"channel": message["channel"], "ts": message["ts"], "text": message["text"],
                             "blocks": message["blocks"]})
        return json_response(200, {"ok": True, "channel": message["channel"], "ts": message["ts"], "text": message["text"]})


_METHODS = {"conversations.open": "_open", "chat.postMessage": "_post", "chat.update": "_update"}


def _arguments(request: dict) -> dict:
    args = dict(request["json"]) if isinstance(request["json"], dict) else {
        name: values[-1] for name, values in request["form"].items()}
    if isinstance(args.get("blocks"), str):  # form-encoded calls carry blocks as a JSON string
        args["blocks"] = json.loads(args["blocks"])
    return args


def _dm_id(user: str) -> str:
    return "D" + user[1:]


def _fail(error: str, *, status: int = 200, headers: dict | None = None) -> tuple[int, dict, bytes]:
    return json_response(status, {"ok": False, "error": error}, headers)


def _from_command_line(args, *, record) -> SlackFake:
    return SlackFake(host=args.host, port=args.port, record=record, token=args.token)


_from_command_line.__doc__ = SlackFake.__doc__

if __name__ == "__main__":
    serve_forever_from_command_line(
        _from_command_line, **{"--token": {"default": "xoxb-test", "help": "the bot token to accept"}})
