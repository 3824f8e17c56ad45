"""What /healthz says about the paging channels: which have credentials, and whether anyone could
be paged on a channel that has none (that page would fail and fall through to their next rule)."""
from config.health import HelperReport
from oncall.models import ContactMethod

from .channels import Email, Slack, TwilioSms, TwilioVoice

Kind = ContactMethod.Kind
# kind -> its channel, and the settings that turn it on (named in the report, never their values)
PROVIDERS = {
    Kind.SMS: (TwilioSms, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER"),
    Kind.VOICE: (TwilioVoice, "TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER"),
    Kind.EMAIL: (Email, "EMAIL_URL"),
    Kind.SLACK: (Slack, "SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET"),
}


def channels_report() -> HelperReport:
    configured = {str(kind): channel.configured() for kind, (channel, _) in PROVIDERS.items()}
    if not any(configured.values()):
        # No provider at all (the demo): the console channel stands in for every kind.
        return HelperReport("ok", {kind: "console" for kind in configured})
    details = {kind: "configured" if on else "not configured" for kind, on in configured.items()}
    in_use = set(ContactMethod.objects.filter(verified_at__isnull=False, disabled_at__isnull=True)
                 .order_by().values_list("kind", flat=True).distinct())
    missing = [kind for kind, on in configured.items() if kind in in_use and not on]
    if not missing:
        return HelperReport("ok", details)
    return HelperReport("degraded: " + "; ".join(
        f"{kind} is not configured but verified {kind} contact methods exist (set {PROVIDERS[kind][1]})"
        for kind in missing), details)
