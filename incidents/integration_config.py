"""What an integration's ``config`` may hold, per kind, and how its secrets are shown.

Pure functions, no database. Every writer (the API, the admin, the services) checks a config with
:func:`config_problems` before it is stored: the beat task and the intake read these values
without further checks, and a value nobody bounded (an interval of 10^20 seconds) once stopped
every heartbeat check of every team. Parsers stay lenient about what is stored; this is the gate.

Secrets (Grafana's signing secret, an email integration's Mailgun key and basic-auth credentials)
are write-only: :func:`config_shown` masks them, and :func:`config_merged` keeps a stored secret
when an update omits it or sends back its mask.
"""
from __future__ import annotations

from typing import Any, Callable

from . import sources

Check = Callable[[str, Any], "str | None"]

MASK = "****"
# A shorter secret is masked whole: its last four characters would be most of it.
MASK_REVEALS_FROM = 12
SECRET_MAX = 512
URGENCIES = ("high", "low")
SEVERITIES = ("critical", "error", "warning", "info")


def _int_between(low: int, high: int, unit: str = "") -> Check:
    def check(key: str, value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            return f"'{key}' must be a whole number from {low:,} to {high:,}{unit}"
        return None
    return check


def _boolean(key: str, value: Any) -> str | None:
    return None if isinstance(value, bool) else f"'{key}' must be true or false"


def _urgency(key: str, value: Any) -> str | None:
    if value in URGENCIES:
        return None
    if isinstance(value, dict) and all(k in SEVERITIES and v in URGENCIES for k, v in value.items()):
        return None
    return (f"'{key}' must be \"high\", \"low\" or an object mapping severities ({', '.join(SEVERITIES)}) "
            "to \"high\" or \"low\"")


def _secret(key: str, value: Any) -> str | None:
    if isinstance(value, str) and 0 < len(value) <= SECRET_MAX:
        return None
    return f"'{key}' must be a string of 1 to {SECRET_MAX} characters (null removes it)"


def _basic_auth(key: str, value: Any) -> str | None:
    user, colon, password = value.partition(":") if isinstance(value, str) else ("", "", "")
    if user and colon and password and len(value) <= SECRET_MAX:
        return None
    return f"'{key}' must be \"user:password\", at most {SECRET_MAX} characters (null removes it)"


# Options every alert-carrying kind honours (intake and webhooks read them). None: the source's
# own validate_config checks the value (incidents.sources).
ALERT_OPTIONS: dict[str, Check | None] = {
    "severity_map": None,
    "urgency": _urgency,
    "auto_resolve": _boolean,
    "rate_limit_per_minute": _int_between(1, 1_000_000, " per minute"),
}
GROUPING_OPTIONS: dict[str, Check | None] = {"group_by": None, "resolve_per_alert": None}

SCHEMAS: dict[str, dict[str, Check | None]] = {
    "generic": {**ALERT_OPTIONS, "dedup_field": None},
    "alertmanager": {**ALERT_OPTIONS, **GROUPING_OPTIONS},
    "grafana": {**ALERT_OPTIONS, **GROUPING_OPTIONS, "secret": _secret},
    "pagerduty": dict(ALERT_OPTIONS),
    # The patterns are checked by incidents.sources.email; the secrets guard its HTTP endpoint.
    "email": {**ALERT_OPTIONS, "dedup_pattern": None, "resolve_pattern": None,
              "mailgun_signing_key": _secret, "basic_auth": _basic_auth},
    "heartbeat": {
        "interval_seconds": _int_between(10, 7 * 86400, " seconds (7 days)"),
        "grace_seconds": _int_between(0, 86400, " seconds (1 day)"),
        "urgency": _urgency,
        "rate_limit_per_minute": ALERT_OPTIONS["rate_limit_per_minute"],
    },
}
SECRET_KEYS: dict[str, tuple[str, ...]] = {"grafana": ("secret",), "email": ("mailgun_signing_key", "basic_auth")}


def config_problems(kind: str, config: Any) -> list[str]:
    """Every problem with ``config`` for an integration of ``kind``, each naming its key; [] when fine.

    An unknown kind has no schema here: the kind itself is refused elsewhere.
    """
    schema = SCHEMAS.get(kind)
    if schema is None:
        return []
    if not isinstance(config, dict):
        return ["config must be an object"]
    unknown = sorted(str(key) for key in config if key not in schema)
    problems = []
    if unknown:
        problems.append(f"unknown option{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))} "
                        f"({kind} integrations take {', '.join(schema)})")
    for key, check in schema.items():
        if check is not None and key in config:
            problem = check(key, config[key])
            if problem:
                problems.append(problem)
    if kind in sources.PARSERS:
        known = {key: value for key, value in config.items() if key in schema}
        problems += sources.validate_config(kind, known)
    return problems


def _masked(secret: Any) -> str:
    if isinstance(secret, str) and len(secret) >= MASK_REVEALS_FROM:
        return MASK + secret[-4:]
    return MASK


def config_shown(kind: str, config: Any) -> dict:
    """The config as anyone who may read the integration sees it: secrets masked."""
    if not isinstance(config, dict):
        return {}
    secrets = SECRET_KEYS.get(kind, ())
    return {key: _masked(value) if key in secrets else value for key, value in config.items()}


def config_merged(kind: str, *, stored: Any, given: Any) -> Any:
    """The config to store when a writer sends ``given``: a secret it omits, or sends back masked
    as it read it, stays as stored; a secret sent as null is removed."""
    if not isinstance(given, dict):
        return given  # config_problems says what is wrong with it
    stored = stored if isinstance(stored, dict) else {}
    merged = dict(given)
    for key in SECRET_KEYS.get(kind, ()):
        if key not in given:
            if key in stored:
                merged[key] = stored[key]
        elif given[key] is None:
            del merged[key]
        elif key in stored and given[key] == _masked(stored[key]):
            merged[key] = stored[key]
    return merged
