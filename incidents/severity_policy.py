"""What each severity asks of the response, in one place."""
from datetime import timedelta

from .models import Severity

# How often stakeholders hear from an open incident; None: no cadence.
UPDATE_EVERY: dict[str, timedelta | None] = {
    Severity.SEV1: timedelta(minutes=30),
    Severity.SEV2: timedelta(minutes=60),
    Severity.SEV3: timedelta(minutes=120),
    Severity.SEV4: None,
    Severity.SEV5: None,
}
# An incident at one of these pages its service's major-incident policy too.
MAJOR_SEVERITIES = frozenset({Severity.SEV1, Severity.SEV2})
