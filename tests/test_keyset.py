"""Keyset pages (config/keyset.py): every row once, in order, in both directions, whatever the ties."""
from datetime import timedelta

import pytest
from django.utils import timezone

from config.keyset import keyset_page
from incidents.models import Incident
from incidents.services import incident_resolve
from tests.factories import IncidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def incidents(service):
    at = timezone.now()
    # Several incidents share a timestamp: the id breaks the tie, so none is skipped or repeated.
    made = [IncidentFactory(service=service, title=f"n{i}") for i in range(11)]
    for i, incident in enumerate(made):
        Incident.objects.filter(pk=incident.pk).update(triggered_at=at - timedelta(minutes=i // 3))
    return made


def walk(qs, size):
    pages, page = [], keyset_page(qs, field="triggered_at", size=size)
    pages.append(page)
    while page.older:
        page = keyset_page(qs, field="triggered_at", size=size, older=page.older)
        pages.append(page)
    return pages


def test_walking_older_then_newer_visits_every_row_once_in_order(incidents):
    qs = Incident.objects.all()
    expected = list(qs.order_by("-triggered_at", "-id"))
    pages = walk(qs, 4)
    assert [row for p in pages for row in p.rows] == expected
    assert [len(p.rows) for p in pages] == [4, 4, 3]
    assert pages[0].newer is None and pages[-1].older is None
    back = keyset_page(qs, field="triggered_at", size=4, newer=pages[-1].newer)
    assert back.rows == pages[1].rows and back.newer is not None and back.older is not None
    first = keyset_page(qs, field="triggered_at", size=4, newer=back.newer)
    assert first.rows == pages[0].rows and first.newer is None


@pytest.mark.parametrize("token", ["garbage", "!!", "W10", "WyJub3QgYSBkYXRlIiwgMV0"])
def test_a_token_that_does_not_decode_gives_the_first_page(incidents, token):
    qs = Incident.objects.all()
    assert keyset_page(qs, field="triggered_at", size=4, older=token).rows == walk(qs, 4)[0].rows
    assert keyset_page(qs, field="triggered_at", size=4, newer=token).rows == walk(qs, 4)[0].rows


def test_the_list_counts_only_the_open_tabs(client, service, responder):
    client.force_login(responder)
    IncidentFactory(service=service, title="Open one")
    incident_resolve(incident=IncidentFactory(service=service, title="Done one"), by=responder, via="web")
    html = client.get("/").content.decode()
    assert 'Open <span class="count">1</span>' in html and 'Triggered <span class="count">1</span>' in html
    assert "Resolved</a>" in html and "All</a>" in html  # no count: it would read all history
