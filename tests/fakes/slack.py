"""A local stand-in for slack.com/api: conversations.open/create/invite/history/replies,
chat.postMessage, chat.update and users.info.

    fake = SlackFake(token="xoxb-test").start()
    # point SLACK_API_BASE_URL at fake.url + "/api/"
    fake.fail_next(error="channel_not_found")          # HTTP 200 {"ok": false, ...}, as Slack does
    fake.fail_next(status=429, retry_after=30)          # HTTP 429 ratelimited with Retry-After
    fake.fail_next(status=429, method="conversations.invite")  # only the next call of that method
    fake.reject("U0BADUSER", error="user_not_found")    # every call naming it fails
    fake.messages, fake.posted_to("C0INCIDENTS"), fake.message("C…", "ts")
    fake.channels                                       # created channels: {id: {"name", "members"}}
    fake.say("C…", "text", user="U…", ts="1700000123.000100", thread_ts=None)  # a person posts
    fake.add_user("U…", name="alice", real_name="Alice A.")                  # for users.info

Bodies may be JSON or form-encoded (the SDK sends both); the bot token must come as
`Authorization: Bearer …`.
"""
import json
import re

from . import FakeServer, json_response, serve_forever_from_command_line


class SlackFake(FakeServer):
    """A fake Slack Web API (conversations.*, chat.postMessage, chat.update, users.info)."""

    def __init__(self, *, token: str | None = "xoxb-test", **kwargs):
        super().__init__(**kwargs)
        self.token = token
        self.messages: list[dict] = []  # every posted message, as it stands after updates
        self.updates: list[dict] = []
        self._failures: list[tuple[int, str, int | None, str | None]] = []
        self._rejected: dict[str, str] = {}
        self._ts = 100
        self.channels: dict[str, dict] = {}
        self.users: dict[str, dict] = {}

    def fail_next(self, *, error: str = "ratelimited", status: int | None = None, retry_after: int | None = None,
                  method: str | None = None) -> None:
        """The next call (of `method`, if given) fails: HTTP 200 with {"ok": false, "error": error},
        or HTTP `status` (429 defaults to Retry-After: 30, as Slack always sends one)."""
        if status == 429 and retry_after is None:
            retry_after = 30
        with self.lock:
            self._failures.append((status or 200, error, retry_after, method))

    def reject(self, channel_or_user: str, *, error: str = "channel_not_found") -> None:
        with self.lock:
            self._rejected[channel_or_user] = error

    def posted_to(self, channel: str) -> int:
        with self.lock:
            return sum(1 for m in self.messages if m["channel"] == channel)

    def message(self, channel: str, ts: str) -> dict | None:
        with self.lock:
            return next((m for m in self.messages if m["channel"] == channel and m["ts"] == ts), None)

    def say(self, channel: str, text: str, *, user: str, ts: str, thread_ts: str | None = None) -> dict:
        """A message a person posted (not through the API under test)."""
        message = {"channel": channel, "ts": ts, "text": text, "user": user, "blocks": [], "args": {}}
        if thread_ts:
            message["thread_ts"] = thread_ts
        with self.lock:
            self.messages.append(message)
        return message

    def add_user(self, user_id: str, *, name: str, real_name: str = "") -> None:
        with self.lock:
            self.users[user_id] = {"id": user_id, "name": name, "real_name": real_name,
                                   "profile": {"real_name": real_name, "display_name": name}}

    def members(self, channel: str) -> list[str]:
        with self.lock:
            return list(self.channels.get(channel, {}).get("members", []))

    def handle(self, request: dict) -> tuple[int, dict, bytes]:
        method = request["path"].rsplit("/", 1)[-1]
        if not request["path"].startswith("/api/") or method not in _METHODS:
            return json_response(404, {"ok": False, "error": "unknown_method"})
        token = request["headers"].get("Authorization", "").removeprefix("Bearer ")
        if not token:
            return _fail("not_authed")
        if self.token is not None and token != self.token:
            return _fail("invalid_auth")
        failure = next((f for f in self._failures if f[3] in (None, method)), None)
        if failure is not None:
            self._failures.remove(failure)
            status, error, retry_after, _ = failure
            if status >= 500:
                return status, {"Content-Type": "text/html"}, b"<html><body>Service Unavailable</body></html>"
            return _fail(error, status=status, headers={"Retry-After": retry_after} if retry_after else None)
        args = _arguments(request)
        for name in ("users", "channel", "user"):
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

    def _create(self, args: dict) -> tuple[int, dict, bytes]:
        name = str(args.get("name", ""))
        # https://docs.slack.dev/reference/methods/conversations.create#naming
        if not name or len(name) > 80 or not re.fullmatch(r"[a-z0-9_-]+", name):
            return _fail("invalid_name_specials" if name else "invalid_name_required")
        if any(c["name"] == name for c in self.channels.values()):
            return _fail("name_taken")
        channel_id = f"C0NEW{len(self.channels) + 1:04d}"
        self.channels[channel_id] = {"name": name, "members": ["UBOT"], "is_private": _true(args.get("is_private"))}
        return json_response(200, {"ok": True, "channel": {"id": channel_id, "name": name, "is_channel": True}})

    def _invite(self, args: dict) -> tuple[int, dict, bytes]:
        channel = self.channels.get(str(args.get("channel", "")))
        if channel is None:
            return _fail("channel_not_found")
        users = [u for u in str(args.get("users", "")).split(",") if u]
        if not users:
            return _fail("no_user")
        if any(u in channel["members"] for u in users):
            return _fail("already_in_channel")
        channel["members"] += users
        return json_response(200, {"ok": True, "channel": {"id": args["channel"], "name": channel["name"]}})

    def _history(self, args: dict) -> tuple[int, dict, bytes]:
        """Top-level messages only, newest first, as Slack answers."""
        found = [m for m in self._in_window(args) if m.get("thread_ts") in (None, m["ts"])]
        return self._listing(found, args)

    def _replies(self, args: dict) -> tuple[int, dict, bytes]:
        """The thread's parent first, whatever the window, then its replies in the window, oldest
        first; `ts` may name the parent or a reply."""
        ts = str(args.get("ts", ""))
        named = next((m for m in self.messages if m["channel"] == args.get("channel") and m["ts"] == ts), None)
        if named is None:
            return _fail("thread_not_found")
        parent = next(m for m in self.messages if m["channel"] == named["channel"]
                      and m["ts"] == (named.get("thread_ts") or named["ts"]))
        replies = [m for m in self._in_window(args) if m.get("thread_ts") == parent["ts"] and m is not parent]
        return self._listing([parent, *reversed(replies)], args)

    def _users_info(self, args: dict) -> tuple[int, dict, bytes]:
        user = self.users.get(str(args.get("user", "")))
        return json_response(200, {"ok": True, "user": user}) if user else _fail("user_not_found")

    def _in_window(self, args: dict) -> list[dict]:
        inclusive = _true(args.get("inclusive"))
        latest, oldest = args.get("latest"), args.get("oldest")

        def within(ts: str) -> bool:
            if latest is not None and (float(ts) > float(latest) or (not inclusive and ts == latest)):
                return False
            return oldest is None or float(ts) > float(oldest) or (inclusive and ts == oldest)

        messages = [m for m in self.messages if m["channel"] == args.get("channel") and within(m["ts"])]
        return sorted(messages, key=lambda m: float(m["ts"]), reverse=True)

    def _listing(self, messages: list[dict], args: dict) -> tuple[int, dict, bytes]:
        if not any(m["channel"] == args.get("channel") for m in self.messages) and args.get("channel") not in self.channels:
            return _fail("channel_not_found")
        limit = int(args.get("limit") or 100)
        shown = [{k: v for k, v in m.items() if k not in ("channel", "args")} | {"type": "message"}
                 for m in messages[:limit]]
        return json_response(200, {"ok": True, "messages": shown, "has_more": len(messages) > limit})


_METHODS = {"conversations.open": "_open", "chat.postMessage": "_post", "chat.update": "_update",
            "conversations.create": "_create", "conversations.invite": "_invite",
            "conversations.history": "_history", "conversations.replies": "_replies", "users.info": "_users_info"}


def _arguments(request: dict) -> dict:
    # GET methods (history, replies, users.info) carry their arguments in the query string.
    args = {name: values[-1] for name, values in request["query"].items()}
    args.update(dict(request["json"]) if isinstance(request["json"], dict) else {
        name: values[-1] for name, values in request["form"].items()})
    if isinstance(args.get("blocks"), str):  # form-encoded calls carry blocks as a JSON string
        args["blocks"] = json.loads(args["blocks"])
    return args


def _true(value) -> bool:
    return value in (True, 1, "1", "true", "True")


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
