"""One-tap acknowledge links: /a/<token>, bound to one person and one incident, expiring.

The token is a Django signature over "incident.user", short enough to keep an SMS in one
segment, and useless for any other incident or person.
"""
from django.conf import settings
from django.core import signing

SALT = "vigil.ack-link"
MAX_AGE_SECONDS = 24 * 3600


def ack_token(*, incident_id: int, user_id: int) -> str:
    return signing.TimestampSigner(salt=SALT).sign(f"{incident_id}.{user_id}")


def ack_url(*, incident_id: int, user_id: int) -> str:
    return f"{settings.PUBLIC_URL}/a/{ack_token(incident_id=incident_id, user_id=user_id)}"


def read_ack_token(token: str) -> tuple[int, int] | None:
    """(incident id, user id), or None when the token is forged, altered or expired."""
    try:
        value = signing.TimestampSigner(salt=SALT).unsign(token, max_age=MAX_AGE_SECONDS)
        incident_id, user_id = value.split(".")
        return int(incident_id), int(user_id)
    except (signing.BadSignature, ValueError):
        return None
