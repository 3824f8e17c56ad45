from config.redaction import redact


def test_access_log_paths_hide_tokens():
    assert redact("POST /integrations/int_abc123/ HTTP/1.1") == "POST /integrations/[redacted]/ HTTP/1.1"
    assert redact("GET /integrations/int_abc/heartbeat/") == "GET /integrations/[redacted]/heartbeat/"
    assert redact("GET /a/eyJhbGciOi.sig HTTP/1.1") == "GET /a/[redacted] HTTP/1.1"
    assert redact("GET /oncall/schedules/3/cal_xyz.ics") == "GET /oncall/schedules/3/[redacted]"
    assert redact("GET /incidents/4/ HTTP/1.1") == "GET /incidents/4/ HTTP/1.1"


def test_django_request_warnings_do_not_carry_integration_tokens(client, caplog, db):
    import logging

    from config.redaction import RedactFilter

    caplog.handler.addFilter(RedactFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        client.get("/integrations/int_secret_token_value/")
    assert "int_secret_token_value" not in caplog.text
    assert "[redacted]" in caplog.text


ACK_TOKEN = "3.7:1tAbCd:Zm9vYmFyYmF6cXV4LXNpZ25hdHVyZQ"
INTEGRATION_TOKEN = "int_Kq3-x_9ZsecretTOKENvalue0123456789abcdefgh"


def gunicorn_logger(tmp_path):
    import logging

    from gunicorn.config import Config

    from config.redaction import RedactingLogger

    # Only gunicorn's own handlers, as in a real server: other tests' capture handlers (which may
    # carry a RedactFilter of their own) must not do the redacting for it.
    for name in ("gunicorn.error", "gunicorn.access"):
        logging.getLogger(name).handlers.clear()
    cfg = Config()
    cfg.set("accesslog", str(tmp_path / "access.log"))
    cfg.set("errorlog", str(tmp_path / "error.log"))
    return RedactingLogger(cfg)


def test_access_log_lines_carry_no_token_in_any_field_referer_included(tmp_path):
    from datetime import timedelta
    from types import SimpleNamespace

    logger = gunicorn_logger(tmp_path)
    referer = f"https://vigil.example.com/a/{ACK_TOKEN}"
    headers = [("HOST", "vigil.example.com"), ("REFERER", referer),
               ("X-ORIGINAL-URL", f"/integrations/{INTEGRATION_TOKEN}/heartbeat/")]
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": "/static/vigil.css", "SERVER_PROTOCOL": "HTTP/1.1",
               "PATH_INFO": "/static/vigil.css", "QUERY_STRING": "", "REMOTE_ADDR": "203.0.113.9",
               "HTTP_REFERER": referer, "HTTP_USER_AGENT": f"probe https://x/integrations/{INTEGRATION_TOKEN}/"}
    response = SimpleNamespace(status="200 OK", sent=123, headers=[("Content-Type", "text/css")])
    # The combined format and one that names every header and the query string.
    for fmt in (None, '%(r)s %(U)s %(q)s %(f)s %(a)s %({referer}i)s %({x-original-url}i)s %({http_referer}e)s'):
        if fmt:
            logger.cfg.set("access_log_format", fmt)
        logger.access(response, SimpleNamespace(headers=headers), environ, timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    lines = (tmp_path / "access.log").read_text().splitlines()
    assert len(lines) == 2 and all("/a/[redacted]" in line for line in lines), lines
    assert not [line for line in lines if ACK_TOKEN in line or INTEGRATION_TOKEN in line], lines


def test_gunicorn_error_log_carries_no_token(tmp_path):
    logger = gunicorn_logger(tmp_path)
    try:
        raise ValueError("boom")
    except ValueError:
        logger.exception("Error handling request %s", f"/a/{ACK_TOKEN}")
    for handler in logger.error_log.handlers:
        handler.flush()
    text = (tmp_path / "error.log").read_text()
    assert "Error handling request /a/[redacted]" in text and ACK_TOKEN not in text


def test_django_csrf_failures_do_not_log_a_referer_carrying_tokens(caplog, db):
    import logging

    from django.test import Client

    from config.redaction import RedactFilter

    caplog.handler.addFilter(RedactFilter())
    client = Client(enforce_csrf_checks=True)
    with caplog.at_level(logging.WARNING, logger="django.security.csrf"):
        response = client.post("/login/", {"username": "x"}, secure=True,
                               HTTP_REFERER=f"https://evil.example/a/{ACK_TOKEN}?i=/integrations/{INTEGRATION_TOKEN}/")
    assert response.status_code == 403
    assert "Referer checking failed" in caplog.text
    assert ACK_TOKEN not in caplog.text and INTEGRATION_TOKEN not in caplog.text


def test_every_log_handler_redacts():
    from django.conf import settings

    assert all("redact" in handler.get("filters", []) for handler in settings.LOGGING["handlers"].values())
