"""Escalation policies: the list, and one policy's steps edited as a whole."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize

from .. import policies
from ..access import teams_visible_to, user_can_manage
from ..forms import PolicyCreateForm, PolicyForm, StepFormSet, target_choices
from .teams import TeamListPage


def _policy_list_context(request: HttpRequest) -> dict:
    teams = list(teams_visible_to(request.user).order_by("name"))
    found = policies.policies_visible_to(request.user).order_by("name")
    return {"teams": [(t, [p for p in found if p.team_id == t.pk]) for t in teams]}


def _create_policy(request: HttpRequest, data: dict) -> HttpResponse:
    policy = policies.policy_create(team=data["team"], name=data["name"], repeat_count=data["repeat_count"],
                                    by=request.user)
    messages.success(request, f"Policy {policy.name} created; add its steps.")
    return redirect("oncall:policy", pk=policy.pk)


policy_list, policy_create = TeamListPage(
    template="oncall/policy_list.html", context=_policy_list_context, form_class=PolicyCreateForm,
    create=_create_policy, refusal="Only a team's managers create escalation policies.").views()


@login_required
def policy_detail(request: HttpRequest, pk: int) -> HttpResponse:
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponse(status=405, headers={"Allow": "GET, HEAD, POST"})
    policy = get_object_or_404(policies.policies_visible_to(request.user), pk=pk)
    can_manage = user_can_manage(user=request.user, team_id=policy.team_id)
    if request.method != "POST":
        steps = [{"delay_minutes": step.delay_minutes, "targets": [_target_value(t) for t in step.targets.all()]}
                 for step in policy.steps.all()]
        return _render_policy(request, policy, can_manage, PolicyForm(initial={"repeat_count": policy.repeat_count}),
                              _step_forms(request, policy, initial=steps or [{}]))
    if not can_manage:
        raise PermissionDenied("Only the team's managers change escalation policies.")
    form, steps = PolicyForm(request.POST), _step_forms(request, policy, data=request.POST)
    if "add_step" in request.POST:
        # Without JavaScript, "add step" is a round trip: the same form with one more blank row.
        data = request.POST.copy()
        data["steps-TOTAL_FORMS"] = str(min(steps.total_form_count() + 1, StepFormSet.max_num))
        return _render_policy(request, policy, can_manage, PolicyForm(data), _step_forms(request, policy, data=data))
    if form.is_valid() and steps.is_valid():
        kept = [f.step() for f in steps if f.cleaned_data and not f.cleaned_data.get("remove")]
        try:
            policies.policy_update(policy=policy, repeat_count=form.cleaned_data["repeat_count"], steps=kept,
                                   by=request.user)
        except policies.PolicyError as e:
            form.add_error(None, e.message)
            policy.refresh_from_db(fields=["repeat_count"])  # the save was rolled back, not the object
        else:
            messages.success(request, f"Policy {policy.name} saved with {len(kept)} step{pluralize(len(kept))}.")
            return redirect("oncall:policy", pk=policy.pk)
    return _render_policy(request, policy, can_manage, form, steps, status=400)


def _target_value(target) -> str:
    return f"{target.kind}:{target.user_id or target.schedule_id or target.team_id}"


def _step_forms(request, policy, *, data=None, initial=None):
    choices = target_choices(people=User.objects.filter(memberships__team=policy.team).order_by("username"),
                             schedules=policy.team.schedules.order_by("name"),
                             teams=teams_visible_to(request.user).order_by("name"))
    return StepFormSet(data, initial=initial, prefix="steps", form_kwargs={"target_choices": choices})


def _render_policy(request, policy, can_manage, form, steps, status=200):
    context = {"policy": policy, "can_manage": can_manage, "form": form, "steps": steps,
               "saved_steps": policy.steps.all()}
    return render(request, "oncall/policy_detail.html", context, status=status)
