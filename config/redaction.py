"""Logs without secrets: integration tokens, ack-link tokens and calendar-feed
tokens travel in URL paths, and a log line must not be enough to page people or read rotas."""
import logging
import re

from gunicorn.glogging import Logger

SECRET_PATHS = re.compile(r"(/integrations/|/a/|/oncall/[^ ?]*/)([^/ ?]+)")


def redact(text: str) -> str:
    return SECRET_PATHS.sub(lambda m: m.group(1) + "[redacted]", text)


class RedactingLogger(Logger):
    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms


class RedactFilter(logging.Filter):
    """Django logs 4xx responses with their path ("Method Not Allowed (GET): /integrations/…")."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True
