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
