"""Writing a postmortem on a phone (issue 12 §1), in Debian's Chromium at 375 px under the real
Content-Security-Policy: from the incident list to the demo-like resolved SEV1's postmortem, a
section written with its live preview, saved, and taken through review; nothing scrolls sideways
and axe-core finds nothing serious on the postmortem pages.

The walk is a list of steps, each a small function of the page: the action items' step ("add an
action item with an owner") slots in between saving and the review. Screenshots of each step go
to the test's tmp_path."""
import pytest
from django.contrib.auth.models import User

from incidents.demo_postmortem import seed_resolved_major_incident
from incidents.models import Postmortem
from oncall.models import Membership
from tests.browser import (  # noqa: F401 - fixtures
    log_in_with_cookie, needs_chromium, phone, phone_bypassing_csp, serious_accessibility_violations, shared_browser,
    sideways_overflow,
)
from tests.factories import MembershipFactory, ServiceFactory, UserFactory

pytestmark = [pytest.mark.slow, needs_chromium, pytest.mark.django_db(transaction=True)]

WRITTEN = "The **expired** client certificate shipped in v5.4.0.\n\n- renew certificates 30 days ahead"


@pytest.fixture
def demo_like():
    """The demo's resolved SEV1, seeded by the demo's own code, with its pre-filled postmortem."""
    service = ServiceFactory(name="Payments gateway")
    demo = MembershipFactory(team=service.team, role=Membership.Role.MANAGER,
                             user=UserFactory(username="demo", first_name="Demo", last_name="User")).user
    helper = MembershipFactory(team=service.team, user=UserFactory(username="alice")).user
    incident = seed_resolved_major_incident(service=service, demo=demo, responders=[helper])
    return {"demo": demo, "incident": incident, "postmortem": Postmortem.objects.get(incident=incident)}


def open_the_postmortem_from_the_incident_list(page, live_server, world):
    page.goto(f"{live_server.url}/?status=resolved")
    page.get_by_role("link", name="Postmortem (draft)").click()
    page.wait_for_url(f"**/postmortems/{world['postmortem'].pk}/")
    assert "Draft written by Vigil" in page.locator("#section-summary").inner_text()
    assert "Pinned in Slack" in page.locator("#section-timeline").inner_text()


def write_a_section_and_watch_the_preview(page, live_server, world):
    page.get_by_role("link", name="Edit Trigger and root causes").click()
    area = page.locator("#pm-root_causes")
    area.fill(WRITTEN)
    page.locator("#preview-root_causes strong", has_text="expired").wait_for()
    assert page.locator("#preview-root_causes li").inner_text() == "renew certificates 30 days ahead"
    assert sideways_overflow(page) <= 0


def save(page, live_server, world):
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/postmortems/{world['postmortem'].pk}/**")
    assert page.locator("#section-root_causes strong").inner_text() == "expired"


def add_an_action_item_with_an_owner(page, live_server, world):
    form = page.locator("form.ai-add")
    form.get_by_label("Action item").fill("Alert 30 days before a client certificate expires")
    form.get_by_label("Owner").select_option(label="alice")
    form.get_by_label("Due").fill("2030-01-31")
    form.get_by_label("Priority").select_option("high")
    form.get_by_label("Ticket link").fill("https://tickets.example.com/browse/PAY-2231")
    form.get_by_role("button", name="Add action item").click()
    page.wait_for_url(f"**/postmortems/{world['postmortem'].pk}/#action-items")
    item = world["postmortem"].action_items.get(title="Alert 30 days before a client certificate expires")
    row = page.locator(f"#action-item-{item.pk}").inner_text()
    assert "alice" in row and "31 Jan 2030" in row and "High priority" in row and "PAY-2231" in row


def move_it_to_reviewed(page, live_server, world):
    page.get_by_role("button", name="Send for review").click()
    page.locator("#postmortem-status", has_text="In review").wait_for()
    page.get_by_role("button", name="Mark reviewed").click()
    page.locator("#postmortem-status", has_text="Reviewed").wait_for()


WALK = [
    open_the_postmortem_from_the_incident_list,
    write_a_section_and_watch_the_preview,
    save,
    add_an_action_item_with_an_owner,
    move_it_to_reviewed,
]


def test_a_responder_writes_a_postmortem_with_a_live_preview_and_takes_it_to_reviewed_on_a_phone(
        live_server, phone, demo_like, tmp_path):
    page = phone
    log_in_with_cookie(page, live_server, demo_like["demo"])
    for number, step in enumerate(WALK, 1):
        step(page, live_server, demo_like)
        page.screenshot(path=str(tmp_path / f"{number}-{step.__name__}.png"), full_page=True)
        assert sideways_overflow(page) <= 0, step.__name__
    postmortem = Postmortem.objects.get(pk=demo_like["postmortem"].pk)
    assert postmortem.status == "reviewed" and "**expired**" in postmortem.root_causes
    assert postmortem.action_items.filter(owner__username="alice", priority="high").count() == 1
    assert page.csp_complaints == []


def test_the_postmortem_pages_fit_a_phone_and_axe_finds_nothing_serious(live_server, phone_bypassing_csp, demo_like):
    page = phone_bypassing_csp
    log_in_with_cookie(page, live_server, User.objects.get(username="demo"))
    pk = demo_like["postmortem"].pk
    found_overflow, found_axe = {}, {}
    for name, path in {"list": "/postmortems/", "postmortem": f"/postmortems/{pk}/",
                       "edit all": f"/postmortems/{pk}/edit/", "edit one": f"/postmortems/{pk}/edit/?section=summary",
                       "incident": f"/incidents/{demo_like['incident'].pk}/"}.items():
        page.goto(live_server.url + path)
        if overflow := sideways_overflow(page):
            found_overflow[name] = overflow
        if violations := serious_accessibility_violations(page):
            found_axe[name] = violations
    assert found_overflow == {}
    assert found_axe == {}
