"""Response headers (issue 9 §10): a Content-Security-Policy that lets a page run only Vigil's own
scripts and styles, HSTS and the HTTPS redirect in production, and `check --deploy` clean with the
production settings the README documents."""
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, SuperuserFactory

ROOT = Path(__file__).resolve().parent.parent


def csp(response) -> dict[str, str]:
    header = response.headers.get("Content-Security-Policy")
    assert header, f"no Content-Security-Policy on {response.request['PATH_INFO']}"
    return {d.split()[0]: " ".join(d.split()[1:]) for d in header.split(";") if d.strip()}


def assert_only_own_scripts_and_styles(policy: dict[str, str]) -> None:
    assert policy["default-src"] == "'self'"
    for directive in ("script-src", "style-src"):
        assert policy.get(directive, policy["default-src"]) == "'self'", directive
    assert policy["object-src"] == "'none'"
    assert policy["frame-ancestors"] == "'none'"
    assert policy["base-uri"] == "'self'"
    assert policy["form-action"] == "'self'"
    assert "unsafe" not in " ".join(policy.values())


class InlineCode(HTMLParser):
    """Whatever a strict CSP would refuse: inline scripts, <style> blocks, style= and on*= attributes."""

    def __init__(self):
        super().__init__()
        self.found, self._script = [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "script" and "src" not in attrs:
            self._script = True
        if tag == "style":
            self.found.append("<style>")
        for name in attrs:
            if name == "style" or name.startswith("on"):
                self.found.append(f"<{tag} {name}=…>")
            if name in ("href", "src", "action") and (attrs[name] or "").lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:…>")

    def handle_data(self, data):
        if self._script and data.strip():
            self.found.append(f"<script>{data.strip()[:40]}…")

    def handle_endtag(self, tag):
        if tag == "script":
            self._script = False


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


@pytest.fixture
def web(client, db):
    service = ServiceFactory(name="checkout")
    user = MembershipFactory(team=service.team, role="manager", user=SuperuserFactory()).user
    client.force_login(user)
    client.incident = IncidentFactory(service=service, title="Checkout latency")
    return client


def test_the_login_page_has_a_strict_content_security_policy(client, db):
    response = client.get("/login/")
    assert response.status_code == 200
    assert_only_own_scripts_and_styles(csp(response))
    assert inline_code(response.content.decode()) == []


def test_the_incident_page_has_a_strict_content_security_policy(web):
    response = web.get(f"/incidents/{web.incident.pk}/")
    assert response.status_code == 200
    assert_only_own_scripts_and_styles(csp(response))
    assert inline_code(response.content.decode()) == []


def test_the_api_docs_have_a_strict_content_security_policy_and_no_inline_code(client, db):
    response = client.get("/api/docs/")
    assert response.status_code == 200
    assert_only_own_scripts_and_styles(csp(response))
    assert inline_code(response.content.decode()) == []


@pytest.mark.parametrize("path", ["/", "/oncall/", "/oncall/schedules/", "/oncall/policies/", "/oncall/profile/",
                                  "/services/", "/postmortems/overdue/", "/analytics/",
                                  "/admin/", "/admin/oncall/apitoken/add/", "/notifications/outbox/", "/api/v1/me/",
                                  "/does-not-exist/"])
def test_every_page_has_the_policy_and_no_inline_code(web, path):
    response = web.get(path)
    assert response.status_code in (200, 404), (path, response.status_code)
    assert_only_own_scripts_and_styles(csp(response))
    if response["Content-Type"].startswith("text/html"):
        assert inline_code(response.content.decode()) == [], path


def test_the_schedule_page_places_its_timeline_without_inline_styles(web):
    from oncall import schedules

    schedule = schedules.schedule_create(team=web.incident.team, name="Primary", time_zone="UTC")
    response = web.get(f"/oncall/schedules/{schedule.pk}/")
    assert response.status_code == 200
    assert inline_code(response.content.decode()) == []


def test_no_web_template_has_inline_script_or_style():
    # Email bodies are not web pages (mail clients need inline styles, and no CSP applies).
    templates = [p for d in ("templates", "oncall/templates", "incidents/templates", "notifications/templates")
                 for p in (ROOT / d).rglob("*.html") if "email" not in p.name]
    assert templates
    offenders = {str(p.relative_to(ROOT)): found for p in templates if (found := inline_code(p.read_text()))}
    assert offenders == {}


def test_healthz_answers_over_plain_http_when_https_is_enforced(client, db, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get("/healthz").status_code == 200
    redirected = client.get("/login/")
    assert redirected.status_code == 301 and redirected["Location"].startswith("https://")


def production_env(**extra) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "SECURE_COOKIES", "BEHIND_TLS_PROXY")}
    env.update({"PUBLIC_URL": "https://vigil.example.com", "BEHIND_TLS_PROXY": "1", "SECURE_COOKIES": "1",
                "ALLOWED_HOSTS": "vigil.example.com", "SECRET_KEY": "x" * 20 + "-a-long-random-production-key-0123456789"})
    env.update(extra)
    return env


def test_check_deploy_passes_with_the_documented_production_settings(tmp_path):
    result = subprocess.run([sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
                            cwd=ROOT, env=production_env(VIGIL_VAR_DIR=str(tmp_path)),
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_send_hsts_and_redirect_to_https_except_healthz(tmp_path):
    code = ("from django.conf import settings as s; import django; django.setup(); "
            "print(s.SECURE_HSTS_SECONDS, s.SECURE_SSL_REDIRECT, s.SECURE_REDIRECT_EXEMPT)")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env=production_env(VIGIL_VAR_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="config.settings"))
    assert result.returncode == 0, result.stderr
    seconds, redirect, exempt = result.stdout.split(" ", 2)
    assert int(seconds) >= 31536000 and redirect == "True"
    assert any(re.match(pattern, "healthz") for pattern in eval(exempt))  # noqa: S307 - our own repr


def test_a_server_error_page_has_the_policy_too(db, monkeypatch):
    from django.test import Client

    from config import health_urls

    def broken(request):
        raise RuntimeError("boom")

    monkeypatch.setattr(health_urls.urlpatterns[0], "callback", broken)
    response = Client(raise_request_exception=False).get("/healthz")
    assert response.status_code == 500
    assert_only_own_scripts_and_styles(csp(response))
    assert inline_code(response.content.decode()) == []
