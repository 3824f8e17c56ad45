"""The analytics page and its CSV downloads (issue 12 §4): the figures, team scoping, the strict
Content-Security-Policy (no inline style or script, charts as server-drawn SVG)."""
import csv
import io
import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from notifications.analytics.charts import Series, bar_chart, column_chart, line_chart, nice_step
from tests.factories import MembershipFactory, ServiceFactory, TeamFactory, UserFactory
from tests.notifications.test_analytics_figures import crafted, page

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 3, 31, 12, tzinfo=UTC)
MARCH = "from=2026-03-01&to=2026-03-31"


@pytest.fixture(autouse=True)
def _clock():
    with time_machine.travel(NOW, tick=False):
        yield


@pytest.fixture
def world(team, service):
    me = MembershipFactory(team=team, user=UserFactory(username="me")).user
    for minutes in (1, 2, 3, 10):
        incident = crafted(service, at=datetime(2026, 3, 10, 23, tzinfo=UTC), ack=minutes, resolve=60)
        page(incident, me, at=datetime(2026, 3, 10, 23, tzinfo=UTC), step=minutes // 10)
    theirs = ServiceFactory(name="Their secret service", team=TeamFactory(name="Their team"))
    outsider = MembershipFactory(team=theirs.team, user=UserFactory(username="outsider")).user
    page(crafted(theirs, at=datetime(2026, 3, 11, tzinfo=UTC), ack=99), outsider, at=datetime(2026, 3, 11, tzinfo=UTC))
    return {"me": me, "theirs": theirs, "outsider": outsider}


def test_the_main_navigation_links_to_analytics(client, world):
    client.force_login(world["me"])
    assert '<a href="/analytics/">Analytics</a>' in client.get("/").content.decode()


def test_the_page_shows_the_figures_of_the_last_12_weeks(client, world, service):
    client.force_login(world["me"])
    response = client.get("/analytics/")
    assert response.status_code == 200
    html = response.content.decode()
    summary = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", html))
    assert summary["Incidents"] == "4"
    assert summary["Reached a second step"] == "1 (25%)"
    assert summary["MTTA, median"] == "2m 30s"
    assert summary["MTTR, median"] == "1h"
    assert summary["Pages at night"] == "4 of 4"
    assert 'value="2026-01-07"' in html and 'value="2026-03-31"' in html
    assert service.name in html and html.count("<svg") == 5


def test_another_teams_figures_never_show_on_the_page_or_in_a_download(client, world):
    client.force_login(world["me"])
    html = client.get("/analytics/").content.decode()
    downloads = "".join(client.get(f"/analytics/{name}.csv?{MARCH}").content.decode()
                        for name in ("weeks", "services", "teams", "severities", "responders"))
    for seen in (html, downloads):
        assert "Their secret service" not in seen and "Their team" not in seen and "outsider" not in seen
    assert "1h 39m" not in html  # their 99-minute acknowledgement


@pytest.mark.parametrize("params, message", [
    ("team={theirs_team}", "team: no team '{theirs_team}' among yours."),
    ("service={theirs}", "service: no service '{theirs}' among yours."),
    ("from=2026-03-05&to=2026-03-01", "to: 2026-03-01 is before from (2026-03-05)."),
])
def test_another_teams_filter_or_a_bad_date_is_a_400_naming_the_parameter(client, world, params, message):
    client.force_login(world["me"])
    ids = {"theirs_team": world["theirs"].team_id, "theirs": world["theirs"].pk}
    response = client.get("/analytics/?" + params.format(**ids))
    assert response.status_code == 400
    assert message.format(**ids).replace("'", "&#x27;") in response.content.decode()
    download = client.get("/analytics/services.csv?" + params.format(**ids))
    assert download.status_code == 400 and download.content.decode() == message.format(**ids)


def test_every_table_downloads_as_csv_with_the_same_filters(client, world, service, team):
    client.force_login(world["me"])
    html = client.get(f"/analytics/?{MARCH}&severity=SEV3").content.decode()
    links = re.findall(r'href="([a-z]+\.csv\?[^"]+)"', html)
    assert [link.split(".")[0] for link in links] == ["weeks", "services", "teams", "severities", "responders"]
    response = client.get("/analytics/" + links[1].replace("&amp;", "&"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="vigil-services-2026-03-01-2026-03-31.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0][:6] == ["Service", "Incidents", "Reached a second step", "MTTA mean (seconds)",
                           "MTTA median (seconds)", "MTTA p90 (seconds)"]
    assert rows[1:] == [[service.name, "4", "1", "240.0", "150.0", "474.0", "3600.0", "3600.0", "3600.0",
                         "3600.0", "3600.0", "3600.0"]]
    responders = list(csv.reader(io.StringIO(client.get(f"/analytics/responders.csv?{MARCH}").content.decode())))
    assert responders == [["Responder", "Pages", "At night (22:00–07:00 their time)", "At a second step"],
                          ["me", "4", "4", "1"]]
    weeks = list(csv.reader(io.StringIO(client.get(f"/analytics/weeks.csv?{MARCH}").content.decode())))
    assert [row[:3] for row in weeks[1:]] == [["2026-02-23", "0", "0"], ["2026-03-02", "0", "0"],
                                               ["2026-03-09", "4", "1"], ["2026-03-16", "0", "0"],
                                               ["2026-03-23", "0", "0"], ["2026-03-30", "0", "0"]]
    assert client.get("/analytics/nothing.csv").status_code == 404


def test_a_name_that_looks_like_a_formula_downloads_as_text(client, world, team):
    client.force_login(world["me"])
    crafted(ServiceFactory(team=team, name="=HYPERLINK(\"http://evil\")"), at=datetime(2026, 3, 3, tzinfo=UTC))
    body = client.get(f"/analytics/services.csv?{MARCH}").content.decode()
    assert "'=HYPERLINK" in body and "\n=HYPERLINK" not in body


def test_the_page_has_no_inline_style_or_script_and_its_charts_are_valid_svg(client, world):
    client.force_login(world["me"])
    html = client.get("/analytics/").content.decode()
    assert not re.search(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=", html, re.I)
    charts = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(charts) == 5
    for svg in charts:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.find("{http://www.w3.org/2000/svg}title").text
        assert not any(el.get("style") for el in root.iter())
    assert 'href="/static/notifications/analytics.css"' in html


def test_chart_text_is_escaped_and_the_markup_parses():
    svg = bar_chart(chart_id="c", title="<b>pages</b>", labels=["<script>alert(1)</script>", "a & b"],
                    series=[Series("Pages", [3, 1]), Series("At night", [1, 0])])
    root = ET.fromstring(svg)
    texts = [t.text for t in root.iter("{http://www.w3.org/2000/svg}text")]
    assert "<script>alert(1)</script>" in texts and "a & b" in texts and "<script>" not in svg
    bars = [float(r.get("width")) for r in root.iter("{http://www.w3.org/2000/svg}rect") if r.get("height") == "12"]
    assert bars[0] == pytest.approx(3 * bars[1], abs=0.2)


def test_a_line_breaks_at_a_week_with_no_incident_and_empty_charts_still_draw():
    svg = line_chart(chart_id="l", title="t", labels=["1", "2", "3", "4"], series=[Series("Median", [60, None, 120, 90])])
    root = ET.fromstring(svg)
    assert len(list(root.iter("{http://www.w3.org/2000/svg}polyline"))) == 1
    assert len(list(root.iter("{http://www.w3.org/2000/svg}circle"))) == 3
    ET.fromstring(column_chart(chart_id="e", title="empty", labels=[], series=[Series("Incidents", [])]))


def test_axis_steps_are_round_numbers_and_round_durations():
    assert nice_step(37, durations=False) == 10
    assert nice_step(7, durations=False) == 2
    assert nice_step(150, durations=True) == 60
    assert nice_step(5000, durations=True) == 1800
    assert nice_step(20000, durations=True) == 7200
    assert nice_step(0, durations=True) == 1


def _page_queries(client) -> int:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(f"/analytics/?{MARCH}").status_code == 200
    return len(captured.captured_queries)


def test_the_page_runs_as_many_queries_for_50_incidents_as_for_1(client, team):
    me = MembershipFactory(team=team, user=UserFactory(username="me")).user
    client.force_login(me)

    def grow(n):
        for _ in range(n):
            second = TeamFactory()
            MembershipFactory(team=second, user=me)
            responder = MembershipFactory(team=second).user
            incident = crafted(ServiceFactory(team=second), at=datetime(2026, 3, 3, tzinfo=UTC), ack=2, resolve=9)
            page(incident, responder, at=datetime(2026, 3, 3, tzinfo=UTC) + timedelta(minutes=1), step=1)

    grow(1)
    client.get("/analytics/")
    one = _page_queries(client)
    grow(49)
    assert _page_queries(client) == one <= 16
