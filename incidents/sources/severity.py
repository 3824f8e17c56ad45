"""Severity words from every source, mapped onto Vigil's four levels, and the ``severity_map``
config key that every kind honours.
"""
from __future__ import annotations

from typing import Any, Mapping

from .events import SEVERITIES

__all__ = ["SEVERITY_ALIASES", "DEFAULT_SEVERITY", "normalise_severity", "severity_rank", "validate_common_config"]

# Severity words seen in the wild, case-insensitive, mapped onto Vigil's four levels. Anything not
# listed (and not in the integration's "severity_map") becomes "error": an unknown severity pages
# with high urgency, because a missed page costs more than an unneeded one.
SEVERITY_ALIASES: dict[str, str] = {
    **dict.fromkeys(("critical", "crit", "page", "p1", "sev1", "fatal", "emergency", "emerg"), "critical"),
    **dict.fromkeys(("error", "err", "high", "major", "p2", "sev2"), "error"),
    **dict.fromkeys(("warning", "warn", "minor", "medium", "p3", "sev3"), "warning"),
    **dict.fromkeys(
        ("info", "informational", "information", "low", "none", "notice", "debug", "p4", "p5", "sev4", "sev5"),
        "info",
    ),
}
DEFAULT_SEVERITY = "error"


def _severity_map(config: Mapping) -> dict[str, str]:
    raw = config.get("severity_map") if isinstance(config, Mapping) else None
    if not isinstance(raw, dict):
        return {}
    mapped = {}
    for key, value in raw.items():
        if isinstance(key, str) and isinstance(value, str) and value.strip().lower() in SEVERITIES:
            mapped[key.strip().lower()] = value.strip().lower()
    return mapped


def validate_common_config(config: Any) -> list[str]:
    """Problems with the keys every kind honours (``severity_map``); for the model's ``clean()``.

    Parsers themselves are lenient about config: an invalid entry is ignored (defaults apply)
    rather than refusing alerts, since the sender cannot fix the receiver's configuration.
    """
    if config is None:
        return []
    if not isinstance(config, dict):
        return ["config must be an object"]
    errors = []
    if "severity_map" in config:
        raw = config["severity_map"]
        if not isinstance(raw, dict):
            errors.append("'severity_map' must be an object mapping source severities to "
                          + ", ".join(SEVERITIES))
        else:
            for key, value in raw.items():
                if not isinstance(value, str) or value.strip().lower() not in SEVERITIES:
                    errors.append(f"'severity_map.{key}' must be one of {', '.join(SEVERITIES)}")
    return errors


def normalise_severity(value: Any, config: Mapping | None = None, default: str = DEFAULT_SEVERITY) -> str:
    """Map a source's severity word onto critical/error/warning/info.

    The integration's ``severity_map`` (keys case-insensitive) wins over :data:`SEVERITY_ALIASES`;
    a missing value gives ``default``; an unknown one gives "error" (see SEVERITY_ALIASES).
    """
    if value is None:
        return default
    if not isinstance(value, str):
        return default
    word = value.strip().lower()
    if not word:
        return default
    mapped = _severity_map(config or {})
    if word in mapped:
        return mapped[word]
    return SEVERITY_ALIASES.get(word, DEFAULT_SEVERITY)


def severity_rank(severity: str) -> int:
    """Higher is worse: critical 3, error 2, warning 1, info 0."""
    return {"critical": 3, "error": 2, "warning": 1, "info": 0}.get(severity, 2)
