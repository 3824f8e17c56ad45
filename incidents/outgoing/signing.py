"""The signature on every outgoing webhook request.

`Vigil-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the endpoint's
secret>`. The timestamp is signed with the body so that a receiver can refuse old requests
(replays); README "Outgoing webhooks" shows a receiver."""
import hashlib
import hmac
import secrets

HEADER = "Vigil-Signature"
TOLERANCE_SECONDS = 300


def new_webhook_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def signature_header(*, secret: str, body: bytes, timestamp: int) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_valid(*, secret: str, body: bytes, header: str, now: float,
                    tolerance: int = TOLERANCE_SECONDS) -> bool:
    """What a receiver does: the same check in Python (README shows it standalone)."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    try:
        timestamp = int(fields["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > tolerance:
        return False
    expected = signature_header(secret=secret, body=body, timestamp=timestamp).split("v1=", 1)[1]
    return hmac.compare_digest(expected, fields.get("v1", ""))
