from django.core import mail

from notifications.models import OutboxMessage
from notifications.tasks import send_verification
from oncall.contacts import contact_method_create
from tests.factories import UserFactory


def test_without_a_provider_the_code_lands_in_the_console_outbox(db):
    method = contact_method_create(user=UserFactory(), kind="sms", value="+14155550100")
    send_verification.apply(kwargs={"contact_method_id": method.pk, "code": "123456"}).get()
    message = OutboxMessage.objects.get()
    assert (message.kind, message.to) == ("sms", "+14155550100")
    assert "123456" in message.body and "15 minutes" in message.body


def test_with_email_configured_the_code_is_mailed(db, settings):
    settings.EMAIL_ENABLED = True
    method = contact_method_create(user=UserFactory(), kind="email", value="alice@example.com")
    send_verification.apply(kwargs={"contact_method_id": method.pk, "code": "654321"}).get()
    [sent] = mail.outbox
    assert sent.to == ["alice@example.com"] and "654321" in sent.body
    assert not OutboxMessage.objects.exists()
