"""Other apps add sections to oncall's pages through oncall/page_sections.py."""
import pytest
from django.urls import reverse

from oncall import page_sections
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def extra_profile_section():
    def section(request, obj):
        if obj.username.startswith("quiet"):
            return None
        return page_sections.Section("oncall/_test_section.html", {"greeting": f"Hello {obj.username}"})
    page_sections.register("profile", section)
    yield
    page_sections._registry["profile"].remove(section)


def test_a_registered_section_shows_on_the_profile_of_the_person_it_is_for(client, extra_profile_section, tmp_path,
                                                                           settings):
    (tmp_path / "oncall").mkdir()
    (tmp_path / "oncall" / "_test_section.html").write_text("<section>{{ greeting }}</section>")
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [tmp_path, *settings.TEMPLATES[0]["DIRS"]]}]
    alice, quiet = UserFactory(username="alice"), UserFactory(username="quiet-bob")
    client.force_login(alice)
    assert "<section>Hello alice</section>" in client.get(reverse("oncall:profile")).content.decode()
    client.force_login(quiet)
    assert "Hello" not in client.get(reverse("oncall:profile")).content.decode()


def test_a_section_for_an_unknown_page_is_refused():
    with pytest.raises(ValueError, match="Unknown page 'nowhere'"):
        page_sections.register("nowhere", lambda request, obj: None)
