from config.gunicorn_logging import redact


def test_access_log_paths_hide_tokens():
    assert redact("POST /integrations/int_abc123/ HTTP/1.1") == "POST /integrations/[redacted]/ HTTP/1.1"
    assert redact("GET /integrations/int_abc/heartbeat/") == "GET /integrations/[redacted]/heartbeat/"
    assert redact("GET /a/eyJhbGciOi.sig HTTP/1.1") == "GET /a/[redacted] HTTP/1.1"
    assert redact("GET /oncall/schedules/3/cal_xyz.ics") == "GET /oncall/schedules/3/[redacted]"
    assert redact("GET /incidents/4/ HTTP/1.1") == "GET /incidents/4/ HTTP/1.1"
