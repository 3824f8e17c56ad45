"""Provider clients, built from settings in this one place.

Both are the real SDKs. `TWILIO_API_BASE_URL` and `SLACK_API_BASE_URL` point them at another host:
a Twilio-compatible provider, or the local fakes in tests/fakes/. Clients are cached per
configuration, so a settings change (a test's override) gets a fresh client without a restart.
"""
import threading
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from slack_sdk import WebClient
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client as TwilioClient

# A worker blocked on a provider holds up every page queued behind it; the engine retries.
TIMEOUT_SECONDS = 10
TWILIO_DEFAULT_BASE_URL = "https://api.twilio.com"

_cache: dict[tuple, object] = {}
_lock = threading.Lock()


def twilio_configured() -> bool:
    return bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER)


def slack_configured() -> bool:
    return bool(settings.SLACK_BOT_TOKEN and settings.SLACK_SIGNING_SECRET)


class RebasedTwilioHttpClient(TwilioHttpClient):
    """Sends what the SDK addresses to api.twilio.com to another base URL.

    The SDK hard-codes https://api.twilio.com in every resource (and rewrites it to
    api.<edge>.<region>.twilio.com when TWILIO_EDGE/TWILIO_REGION are set), and has no base-URL
    option; the HTTP client is its documented seam, so the host is swapped there. The path,
    query, auth and form body are left exactly as the SDK built them.
    """

    def __init__(self, base_url: str, **kwargs):
        super().__init__(**kwargs)
        self.base = urlsplit(base_url.rstrip("/"))

    def request(self, method: str, url: str, *args, **kwargs):
        return super().request(method, self.rebase(url), *args, **kwargs)

    def rebase(self, url: str) -> str:
        parts = urlsplit(url)
        host = parts.hostname or ""
        if not (host == "api.twilio.com" or (host.startswith("api.") and host.endswith(".twilio.com"))):
            return url
        return urlunsplit((self.base.scheme, self.base.netloc, self.base.path + parts.path, parts.query, ""))


def twilio_client() -> TwilioClient:
    if not twilio_configured():
        raise ImproperlyConfigured("Twilio is not configured: set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER")
    base_url = settings.TWILIO_API_BASE_URL.rstrip("/")
    key = ("twilio", settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, base_url)

    def build() -> TwilioClient:
        if base_url == TWILIO_DEFAULT_BASE_URL:  # leave the SDK's own edge/region routing alone
            http_client = TwilioHttpClient(timeout=TIMEOUT_SECONDS)
        else:
            http_client = RebasedTwilioHttpClient(base_url, timeout=TIMEOUT_SECONDS)
        return TwilioClient(settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client)

    return _cached(key, build)


def slack_client() -> WebClient:
    if not settings.SLACK_BOT_TOKEN:
        raise ImproperlyConfigured("Slack is not configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET")
    key = ("slack", settings.SLACK_BOT_TOKEN, settings.SLACK_API_BASE_URL)
    # No SDK retries: the SDK would sleep inside the worker (even for a 429's Retry-After);
    # the engine retries with backoff instead and keeps the worker free.
    return _cached(key, lambda: WebClient(
        token=settings.SLACK_BOT_TOKEN, base_url=settings.SLACK_API_BASE_URL, timeout=TIMEOUT_SECONDS,
        retry_handlers=[]))


def reset_clients() -> None:
    with _lock:
        _cache.clear()


def _cached(key: tuple, build):
    with _lock:
        client = _cache.get(key)
        if client is None:
            client = _cache[key] = build()
        return client
