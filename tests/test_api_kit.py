"""The shared API kit maps the one base error every app raises to HTTP, knowing no app."""
from rest_framework.exceptions import NotAuthenticated

from config.api_kit import exception_handler
from config.errors import VigilError


class Refused(VigilError):
    pass


class LostRace(VigilError):
    status_code = 409


def test_a_service_refusal_is_a_400_with_its_message():
    response = exception_handler(Refused("Step 2 has no one to page."), {})
    assert response.status_code == 400
    assert response.data == {"detail": "Step 2 has no one to page."}


def test_a_refusal_that_says_409_is_a_conflict():
    response = exception_handler(LostRace("Incident #4 is already acknowledged by alice."), {})
    assert response.status_code == 409
    assert response.data == {"detail": "Incident #4 is already acknowledged by alice."}


def test_other_errors_pass_through_to_drf():
    assert exception_handler(NotAuthenticated(), {}).status_code == 401
    assert exception_handler(ValueError("a bug"), {}) is None
