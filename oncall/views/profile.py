"""A person's own profile: time zone, contact methods and their verification, notification rules,
calendar feeds and API tokens."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST, require_safe

from .. import contacts, schedules
from ..forms import CodeForm, ContactMethodForm, RuleForm, ZoneForm
from ..models import NotificationRule
from ..secrets_once import NewSecret
from ..services import api_token_create, api_token_revoke


@login_required
@require_safe
def profile(request: HttpRequest) -> HttpResponse:
    return _render_profile(request)


def _render_profile(request, *, new_secret: NewSecret | None = None) -> HttpResponse:
    user = request.user
    methods = _my_methods(user).order_by("kind", "id")
    rules = contacts.notification_rules_visible_to(user).filter(user=user).order_by("delay_minutes", "id")
    zone = contacts.profile_of(user=user).time_zone
    context = {
        "zone": zone, "zone_form": ZoneForm(zone=zone), "methods": methods, "method_form": ContactMethodForm(),
        "rule_form": RuleForm(methods=methods),
        "rules": [(label, [r for r in rules if r.urgency == value])
                  for value, label in NotificationRule.Urgency.choices],
        "pageable": contacts.user_has_usable_rule(user=user, urgency="high"),
        "feeds": schedules.calendar_feeds_visible_to(user).filter(user=user, revoked_at__isnull=True),
        "api_tokens": user.api_tokens.filter(revoked_at__isnull=True),
        "new_secret": new_secret,
    }
    return render(request, "oncall/profile.html", context)


def _profile_post(view):
    """Profile forms act on the person's own rows only; errors come back as messages."""
    return login_required(require_POST(view))


@_profile_post
def profile_time_zone(request: HttpRequest) -> HttpResponse:
    form = ZoneForm(request.POST)
    if _valid(request, form):
        try:
            contacts.profile_time_zone_set(user=request.user, time_zone=form.cleaned_data["zone"])
        except contacts.ContactError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, f"Your time zone is {form.cleaned_data['zone']}.")
    return redirect("oncall:profile")


@_profile_post
def contact_add(request: HttpRequest) -> HttpResponse:
    form = ContactMethodForm(request.POST)
    if _valid(request, form):
        try:
            method = contacts.contact_method_create(user=request.user, **form.cleaned_data)
        except contacts.ContactError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, f"{method} added. Send yourself a code to verify it: "
                                      "until then it is never paged.")
    return redirect("oncall:profile")


@_profile_post
def contact_send_code(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(_my_methods(request.user), pk=pk)
    try:
        contacts.contact_method_verification_start(contact_method=method)
    except contacts.ContactError as e:
        messages.error(request, e.message)
    else:
        messages.info(request, f"A code is on its way to {method}; type it below within 15 minutes.")
    return redirect(reverse("oncall:profile") + f"#method-{method.pk}")


@_profile_post
def contact_verify(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(_my_methods(request.user), pk=pk)
    form = CodeForm(request.POST)
    if _valid(request, form):
        try:
            contacts.contact_method_verify(contact_method=method, code=form.cleaned_data["code"])
        except contacts.ContactError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, f"{method} is verified and can be paged.")
    return redirect(reverse("oncall:profile") + f"#method-{method.pk}")


@_profile_post
def contact_delete(request: HttpRequest, pk: int) -> HttpResponse:
    method = get_object_or_404(_my_methods(request.user), pk=pk)
    contacts.contact_method_delete(contact_method=method)
    messages.success(request, f"{method} removed, with the rules that used it.")
    return redirect("oncall:profile")


def _my_methods(user: User):
    # A superuser sees everyone's methods in the API (to vouch for them); a profile is only one's own.
    return contacts.contact_methods_visible_to(user).filter(user=user)


@_profile_post
def rule_add(request: HttpRequest) -> HttpResponse:
    form = RuleForm(request.POST, methods=_my_methods(request.user))
    if _valid(request, form):
        try:
            contacts.notification_rule_create(user=request.user, **form.cleaned_data)
        except contacts.ContactError as e:
            messages.error(request, e.message)
        else:
            messages.success(request, "Notification rule added.")
    return redirect("oncall:profile")


@_profile_post
def rule_delete(request: HttpRequest, pk: int) -> HttpResponse:
    contacts.notification_rule_delete(rule=get_object_or_404(
        contacts.notification_rules_visible_to(request.user), pk=pk, user=request.user))
    messages.success(request, "Notification rule removed.")
    return redirect("oncall:profile")


@_profile_post
@never_cache
def feed_create(request: HttpRequest) -> HttpResponse:
    feed, token = schedules.calendar_feed_create(user=request.user)
    url = schedules.calendar_feed_url(feed=feed, token=token)
    return _render_profile(request, new_secret=NewSecret("Your calendar feed", url))


@_profile_post
def feed_revoke(request: HttpRequest, pk: int) -> HttpResponse:
    schedules.calendar_feed_revoke(feed=get_object_or_404(
        schedules.calendar_feeds_visible_to(request.user), pk=pk, user=request.user))
    messages.success(request, "Calendar feed revoked.")
    return redirect("oncall:profile")


@_profile_post
@never_cache
def api_token_add(request: HttpRequest) -> HttpResponse:
    name = (request.POST.get("name") or "").strip()[:100] or "Personal token"
    _token, raw = api_token_create(user=request.user, name=name)
    return _render_profile(request, new_secret=NewSecret(f"Your API token “{name}”", raw))


@_profile_post
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    api_token_revoke(token=get_object_or_404(request.user.api_tokens, pk=pk))
    messages.success(request, "API token revoked.")
    return redirect("oncall:profile")


def _valid(request, form) -> bool:
    if form.is_valid():
        return True
    for field, errors in form.errors.items():
        label = form.fields[field].label or field.replace("_", " ").capitalize() if field in form.fields else ""
        messages.error(request, f"{label}: {errors[0]}" if label else errors[0])
    return False
