"""Factories that build real rows through the real services where a service exists."""
from datetime import date, time
from itertools import count

import factory
from django.contrib.auth.models import User
from django.utils import timezone

from incidents.models import Service
from incidents.services import incident_trigger, integration_create
from oncall.contacts import contact_method_create
from oncall.models import Membership, Schedule, Team
from oncall.policies import policy_create
from oncall.schedules import layer_create, override_create
from oncall.services import api_token_create


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ["username"]

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class TeamFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Team

    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    team = factory.SubFactory(TeamFactory)
    user = factory.SubFactory(UserFactory)
    role = Membership.Role.RESPONDER


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"service-{n}")


def IncidentFactory(*, service=None, title="Disk full on db1", dedup_key=None, **kwargs):
    service = service or ServiceFactory()
    incident, _ = incident_trigger(service=service, title=title, dedup_key=dedup_key, **kwargs)
    return incident


_integration_numbers = count(1)


def IntegrationFactory(*, service=None, kind="generic", name=None, config=None):
    """Returns (integration, raw_token). Names are unique within a service."""
    return integration_create(service=service or ServiceFactory(), kind=kind,
                              name=name or f"Monitor {next(_integration_numbers)}", config=config)


def api_token_for(user) -> str:
    return api_token_create(user=user, name="test")[1]


def SuperuserFactory(**kwargs):
    return UserFactory(is_superuser=True, is_staff=True, **kwargs)


class ApiClient:
    """A REST client that authenticates as `user` with a real API token and sends JSON."""

    def __init__(self, user):
        from rest_framework.test import APIClient

        self.user = user
        self.client = APIClient()
        self.client.credentials(HTTP_AUTHORIZATION=f"Bearer {api_token_for(user)}")

    def get(self, url, params=None):
        return self.client.get(url, params or {})

    def post(self, url, data=None):
        return self.client.post(url, data, format="json")

    def put(self, url, data=None):
        return self.client.put(url, data, format="json")

    def patch(self, url, data=None):
        return self.client.patch(url, data, format="json")

    def delete(self, url):
        return self.client.delete(url)


# --- On-call: schedules, overrides, escalation policies, contact methods -------------------------
_policy_numbers = count(1)


class ScheduleFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Schedule

    team = factory.SubFactory(TeamFactory)
    name = factory.Sequence(lambda n: f"Schedule {n}")
    time_zone = "UTC"


def LayerFactory(*, schedule=None, participants=(), restrictions=(), start_date=date(2026, 1, 5),
                 turn_length=1, turn_unit="weeks", handoff_time=time(9), **fields):
    """A rotation of `participants` (members of the schedule's team), weekly from Monday 5 January 2026."""
    return layer_create(schedule=schedule or ScheduleFactory(), participants=list(participants),
                        restrictions=list(restrictions), start_date=start_date, turn_length=turn_length,
                        turn_unit=turn_unit, handoff_time=handoff_time, **fields)


def OverrideFactory(*, schedule, user, starts_at, ends_at, created_by=None):
    return override_create(schedule=schedule, user=user, starts_at=starts_at, ends_at=ends_at, created_by=created_by)


def EscalationPolicyFactory(*, team=None, name=None, steps=None, repeat_count=0, description=""):
    """steps as policy_create takes them: [{"delay_minutes": 5, "targets": [{"kind": "user", "id": 1}]}]."""
    return policy_create(team=team or TeamFactory(), name=name or f"Policy {next(_policy_numbers)}",
                         steps=steps or [], repeat_count=repeat_count, description=description)


def ContactMethodFactory(*, user=None, kind="sms", value="+14155550100", label="", verified=False):
    method = contact_method_create(user=user or UserFactory(), kind=kind, value=value, label=label)
    if verified:
        method.verified_at = timezone.now()
        method.save(update_fields=["verified_at"])
    return method
