"""Logs without secrets: integration tokens, ack-link tokens and calendar-feed
tokens travel in URL paths, and a log line must not be enough to page people or read rotas.

A path turns up in more fields than the request line: a Referer (the ack page's stylesheet
request names the page it came from), any header or environ value a log format asks for, and
gunicorn's error log ("Error handling request /a/…"). So every field is redacted, not a list.
"""
import logging
import re

from gunicorn.glogging import Logger

# The token ends where a URL or a log field does: at a slash, query, fragment, quote or space.
SECRET_PATHS = re.compile(r"(/integrations/|/a/|/oncall/[^\s?]*/)([^/\s?#\"'&]+)")
# Credentials in headers, should a custom access-log format name them.
SECRET_HEADERS = ("{authorization}i", "{cookie}i", "{x-twilio-signature}i", "{x-slack-signature}i",
                  "{http_authorization}e", "{http_cookie}e", "{http_x_twilio_signature}e", "{http_x_slack_signature}e")


def redact(text: str) -> str:
    return SECRET_PATHS.sub(lambda m: m.group(1) + "[redacted]", text)


class RedactFilter(logging.Filter):
    """Django logs 4xx responses with their path ("Method Not Allowed (GET): /integrations/…"),
    and CSRF failures with the Referer."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


_redact_filter = RedactFilter()


class RedactingLogger(Logger):
    def setup(self, cfg):
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            log.addFilter(_redact_filter)  # one instance: a reload's second setup adds nothing

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key, value in atoms.items():
            if key in SECRET_HEADERS:
                atoms[key] = "[redacted]"
            elif isinstance(value, str):
                atoms[key] = redact(value)
        return atoms
