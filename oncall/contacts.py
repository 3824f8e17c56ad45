"""Contact methods, their verification, and personal notification rules.

An unverified or disabled contact method is never paged. Codes are six digits, kept only as a
hash, expire after 15 minutes, allow a few guesses each, and only a few are sent per hour so that
Vigil cannot be used to flood someone's phone.
"""
import hmac
import secrets
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta

import phonenumbers
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone

from config.celery import send_after_commit
from config.errors import VigilError

from .access import own_rows
from .audit.recording import audit_updated
from .models import ContactMethod, NotificationRule, Profile, VerificationCode, hash_secret, time_zone_problem

CODE_TTL = timedelta(minutes=15)
CODE_ATTEMPTS = 5
CODES_PER_HOUR = 3
PHONE_KINDS = (ContactMethod.Kind.SMS, ContactMethod.Kind.VOICE)


class ContactError(VigilError):
    pass


def normalize_contact_value(*, kind: str, value: str) -> str:
    """The canonical form of an address: E.164 for phones, lower-case email, a Slack member id."""
    value = (value or "").strip()
    if kind in PHONE_KINDS:
        try:
            number = phonenumbers.parse(value, None)
        except phonenumbers.NumberParseException:
            raise ContactError(f"{value!r} is not a phone number; write it in international form, e.g. +14155550100.") from None
        if not phonenumbers.is_valid_number(number):
            raise ContactError(f"{value!r} is not a valid phone number.")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    if kind == ContactMethod.Kind.EMAIL:
        try:
            validate_email(value)
        except ValidationError:
            raise ContactError(f"{value!r} is not an email address.") from None
        return value.lower()
    if kind == ContactMethod.Kind.SLACK:
        if not (value[:1] in ("U", "W") and value[1:].isalnum() and 8 <= len(value) <= 20):
            raise ContactError(f"{value!r} is not a Slack member id (it looks like U012AB3CD).")
        return value
    raise ContactError(f"Unknown contact method kind {kind!r}; use one of {', '.join(ContactMethod.Kind.values)}.")


def contact_method_create(*, user: User, kind: str, value: str, label: str = "") -> ContactMethod:
    value = normalize_contact_value(kind=kind, value=value)
    try:
        with transaction.atomic():
            return ContactMethod.objects.create(user=user, kind=kind, value=value, label=label[:50])
    except IntegrityError:
        raise ContactError(f"{user} already has the {kind} contact method {value}.") from None


def contact_method_update(*, contact_method: ContactMethod, value: str | None = None, label: str | None = None) -> ContactMethod:
    """Changing the address un-verifies it: the new one has to prove it reaches the person."""
    fields = []
    if value is not None:
        value = normalize_contact_value(kind=contact_method.kind, value=value)
        if value != contact_method.value:
            contact_method.value, contact_method.verified_at = value, None
            contact_method.disabled_at, contact_method.disabled_reason = None, ""
            fields += ["value", "verified_at", "disabled_at", "disabled_reason"]
    if label is not None:
        contact_method.label = label[:50]
        fields.append("label")
    if fields:
        contact_method.save(update_fields=fields)
    return contact_method


def contact_method_verification_start(*, contact_method: ContactMethod) -> VerificationCode:
    """Create a code and have the notifications app send it (by SMS, call, email or Slack)."""
    if contact_method.kind in kinds_without_provider():
        raise ContactError(f"{contact_method.get_kind_display()} is not configured on this Vigil, so no code "
                           "can be sent; ask an administrator to set up its provider.")
    now = timezone.now()
    with transaction.atomic():
        method = ContactMethod.objects.select_for_update().get(pk=contact_method.pk)
        recent = method.verification_codes.filter(created_at__gt=now - timedelta(hours=1)).count()
        if recent >= CODES_PER_HOUR:
            raise ContactError(f"{CODES_PER_HOUR} codes were sent in the last hour; try again later.")
        raw = f"{secrets.randbelow(10**6):06d}"
        code = VerificationCode.objects.create(
            contact_method=method, code_hash=hash_secret(f"{method.pk}:{raw}"), created_at=now, expires_at=now + CODE_TTL
        )
        # By task name: oncall must not import notifications (imports point the other way).
        send_after_commit("notifications.send_verification", kwargs={"contact_method_id": method.pk, "code": raw})
    return code


def contact_method_verify(*, contact_method: ContactMethod, code: str) -> ContactMethod:
    """Check a code typed by the person; the latest unexpired code counts, with limited guesses."""
    now = timezone.now()
    # The attempt is counted in its own committed transaction, so a wrong guess still costs one.
    with transaction.atomic():
        method = ContactMethod.objects.select_for_update().get(pk=contact_method.pk)
        latest = method.verification_codes.filter(used_at__isnull=True).order_by("-created_at").first()
        problem = _code_problem(method, latest, code, now)
        if latest is not None and problem != "expired":
            VerificationCode.objects.filter(pk=latest.pk).update(
                attempts=latest.attempts + 1, used_at=now if problem is None else None)
        if problem is None:
            method = _mark_verified(method, now)
    if problem == "expired":
        raise ContactError("No valid code: ask for a new one.")
    if problem == "exhausted":
        raise ContactError("Too many wrong codes: ask for a new one.")
    if problem == "wrong":
        left = CODE_ATTEMPTS - latest.attempts - 1
        raise ContactError(f"That code is not right; {left} tries left." if left else "That code is not right; ask for a new one.")
    return method


def _code_problem(method: ContactMethod, latest: VerificationCode | None, code: str, now) -> str | None:
    if latest is None or latest.expires_at <= now:
        return "expired"
    if latest.attempts >= CODE_ATTEMPTS:
        return "exhausted"
    expected = hash_secret(f"{method.pk}:{(code or '').strip()}")
    return None if hmac.compare_digest(expected, latest.code_hash) else "wrong"


def contact_method_verify_by_admin(*, contact_method: ContactMethod) -> ContactMethod:
    """Slack ids and email addresses can be vouched for by an administrator."""
    if contact_method.kind in PHONE_KINDS:
        raise ContactError("Phone numbers must be verified with a code sent to the phone.")
    with transaction.atomic():
        return _mark_verified(ContactMethod.objects.select_for_update().get(pk=contact_method.pk), timezone.now())


def _mark_verified(method: ContactMethod, now) -> ContactMethod:
    method.verified_at, method.disabled_at, method.disabled_reason = now, None, ""
    method.save(update_fields=["verified_at", "disabled_at", "disabled_reason"])
    if not method.user.notification_rules.exists():
        notification_rules_default(user=method.user, contact_method=method)
    return method


def contact_method_disable(*, contact_method: ContactMethod, reason: str) -> None:
    """A provider said this address can never be reached: stop paging it, visibly."""
    if ContactMethod.objects.filter(pk=contact_method.pk, disabled_at__isnull=True).update(
            disabled_at=timezone.now(), disabled_reason=reason[:500]):
        audit_updated(model=ContactMethod, pk=contact_method.pk, disabled_at=timezone.now(), disabled_reason=reason[:500])


# What a person gets until they choose otherwise: high urgency interrupts now and calls two minutes
# later if nobody reacted; low urgency never calls.
_DEFAULT_DELAYS = {
    ContactMethod.Kind.SMS: {"high": 0, "low": 0},
    ContactMethod.Kind.VOICE: {"high": 0},
    ContactMethod.Kind.SLACK: {"high": 0, "low": 0},
    ContactMethod.Kind.EMAIL: {"high": 0, "low": 0},
}


def notification_rules_default(*, user: User, contact_method: ContactMethod) -> list[NotificationRule]:
    rules = []
    for urgency, delay in _DEFAULT_DELAYS[contact_method.kind].items():
        rules.append(NotificationRule.objects.get_or_create(
            user=user, urgency=urgency, contact_method=contact_method, delay_minutes=delay)[0])
    return rules


def notification_rule_create(*, user: User, urgency: str, contact_method: ContactMethod, delay_minutes: int) -> NotificationRule:
    _rule_check(user_id=user.pk, urgency=urgency, contact_method=contact_method, delay_minutes=delay_minutes)
    try:
        with transaction.atomic():
            return NotificationRule.objects.create(
                user=user, urgency=urgency, contact_method=contact_method, delay_minutes=delay_minutes)
    except IntegrityError:
        raise ContactError("That rule exists already.") from None


def _rule_check(*, user_id: int, urgency: str, contact_method: ContactMethod, delay_minutes: int) -> None:
    if contact_method.user_id != user_id:
        raise ContactError("A rule can only use the person's own contact methods.")
    if urgency not in NotificationRule.Urgency.values:
        raise ContactError(f"Unknown urgency {urgency!r}; use high or low.")
    if not 0 <= delay_minutes <= 1440:
        raise ContactError("delay_minutes must be between 0 and 1440.")


def profile_time_zone_set(*, user: User, time_zone: str) -> Profile:
    problem = time_zone_problem(time_zone)
    if problem:
        raise ContactError(problem)
    profile, _ = Profile.objects.update_or_create(user=user, defaults={"time_zone": time_zone})
    return profile


def user_has_usable_rule(*, user: User, urgency: str = "high") -> bool:
    return NotificationRule.objects.filter(
        user=user, urgency=urgency, contact_method__verified_at__isnull=False, contact_method__disabled_at__isnull=True
    ).exists()


def contact_methods_visible_to(user: User) -> QuerySet[ContactMethod]:
    """A person's own contact methods; a superuser's reach everyone's (to vouch for them)."""
    return own_rows(ContactMethod.objects.select_related("user"), user)


def notification_rules_visible_to(user: User) -> QuerySet[NotificationRule]:
    return own_rows(NotificationRule.objects.select_related("user", "contact_method"), user)


def contact_method_delete(*, contact_method: ContactMethod) -> None:
    """The rules that use the method go with it."""
    contact_method.delete()


def verification_retry_after(*, contact_method: ContactMethod) -> int:
    """Seconds until another code may be sent (0: now)."""
    now = timezone.now()
    recent = list(contact_method.verification_codes.filter(created_at__gt=now - timedelta(hours=1))
                  .order_by("-created_at").values_list("created_at", flat=True)[:CODES_PER_HOUR])
    if len(recent) < CODES_PER_HOUR:
        return 0
    return max(1, int((recent[-1] + timedelta(hours=1) - now).total_seconds()) + 1)


def notification_rule_update(*, rule: NotificationRule, urgency: str | None = None,
                             contact_method: ContactMethod | None = None,
                             delay_minutes: int | None = None) -> NotificationRule:
    urgency = rule.urgency if urgency is None else urgency
    contact_method = rule.contact_method if contact_method is None else contact_method
    delay_minutes = rule.delay_minutes if delay_minutes is None else delay_minutes
    _rule_check(user_id=rule.user_id, urgency=urgency, contact_method=contact_method, delay_minutes=delay_minutes)
    rule.urgency, rule.contact_method, rule.delay_minutes = urgency, contact_method, delay_minutes
    try:
        with transaction.atomic():
            rule.save(update_fields=["urgency", "contact_method", "delay_minutes"])
    except IntegrityError:
        raise ContactError("That rule exists already.") from None
    return rule


def notification_rule_delete(*, rule: NotificationRule) -> None:
    rule.delete()


def profile_of(*, user: User) -> Profile:
    """The person's profile; an unsaved default (UTC) until they choose a zone."""
    return Profile.objects.filter(user=user).first() or Profile(user=user)


@dataclass(frozen=True)
class Readiness:
    has_usable_rule: bool
    problems: list[str]


def kinds_without_provider() -> frozenset[str]:
    """Contact kinds that no configured provider carries, so that a page to them fails.

    Empty when no provider at all is set up: the console channel then stands in for every kind
    (the demo). oncall cannot ask notifications, so this reads the same settings that
    `notifications.channels.configured_kinds()` does; a test keeps the two in step.
    """
    twilio = bool(settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN and settings.TWILIO_FROM_NUMBER)
    slack = bool(settings.SLACK_BOT_TOKEN and settings.SLACK_SIGNING_SECRET)
    carried = {"sms": twilio, "voice": twilio, "email": bool(settings.EMAIL_ENABLED), "slack": slack}
    if not any(carried.values()):
        return frozenset()
    return frozenset(kind for kind, on in carried.items() if not on)


def users_readiness(*, user_ids: list[int]) -> dict[int, Readiness]:
    """Whether each person can be paged for a high-urgency incident, and what stands in the way.

    Two queries however many people. Problems name methods by kind, id and label, never by
    address, so that teammates can be shown them.
    """
    methods: dict[int, list[ContactMethod]] = defaultdict(list)
    for method in ContactMethod.objects.filter(user_id__in=user_ids).order_by("kind", "id"):
        methods[method.user_id].append(method)
    high_rules: dict[int, list[int]] = defaultdict(list)
    for user_id, method_id in NotificationRule.objects.filter(
            user_id__in=user_ids, urgency=NotificationRule.Urgency.HIGH).values_list("user_id", "contact_method_id"):
        high_rules[user_id].append(method_id)
    unreachable = kinds_without_provider()
    return {user_id: _readiness(methods[user_id], high_rules[user_id], unreachable) for user_id in user_ids}


def _readiness(methods: list[ContactMethod], high_rule_methods: list[int], unreachable: frozenset[str]) -> Readiness:
    by_id = {m.pk: m for m in methods}
    usable = any(by_id[pk].usable and by_id[pk].kind not in unreachable for pk in high_rule_methods if pk in by_id)
    problems = [] if methods else ["No contact method: add a phone number, email address or Slack member id."]
    for m in methods:
        name = f"{m.get_kind_display()} contact method {m.pk}" + (f" ({m.label})" if m.label else "")
        if m.kind in unreachable:
            problems.append(f"{name} cannot be paged: {m.get_kind_display()} is not configured on this Vigil.")
        elif m.disabled_at is not None:
            problems.append(f"{name} is disabled: {m.disabled_reason or 'a provider refused it'}.")
        elif m.verified_at is None:
            problems.append(f"{name} is not verified.")
    if not high_rule_methods:
        problems.append("No high-urgency notification rule.")
    elif not usable:
        problems.append("No high-urgency notification rule uses a verified, working contact method.")
    return Readiness(has_usable_rule=usable, problems=problems)
