"""A team with a resolved incident and its postmortem, for the action item tests."""
from dataclasses import dataclass
from datetime import timedelta

from django.utils import timezone

from incidents.models import Postmortem
from incidents.services import incident_resolve
from incidents.services.postmortems import postmortem_create
from oncall.models import Membership
from tests.factories import IncidentFactory, MembershipFactory, ServiceFactory, UserFactory


@dataclass
class PostmortemWorld:
    team: object
    manager: object  # owns the postmortem
    alice: object  # responder
    viewer: object
    outsider: object  # in another team
    incident: object
    postmortem: object


def postmortem_of(incident, *, owner=None):
    """The incident's postmortem (resolving a SEV1/SEV2 makes one), owned by `owner`, due in five days."""
    postmortem, _ = postmortem_create(incident=incident, by=owner, via="web")
    Postmortem.objects.filter(pk=postmortem.pk).update(
        owner=owner, review_due_on=timezone.localdate() + timedelta(days=5))
    postmortem.refresh_from_db()
    return postmortem


def postmortem_world(*, team_name="Payments") -> PostmortemWorld:
    service = ServiceFactory(name=f"{team_name.lower()}-api", team__name=team_name)
    team = service.team
    manager = MembershipFactory(team=team, user=UserFactory(username=f"{team_name.lower()}-lead"),
                                role=Membership.Role.MANAGER).user
    alice = MembershipFactory(team=team, user=UserFactory(username=f"{team_name.lower()}-alice")).user
    viewer = MembershipFactory(team=team, user=UserFactory(username=f"{team_name.lower()}-viewer"),
                               role=Membership.Role.VIEWER).user
    outsider = MembershipFactory(user=UserFactory(username=f"{team_name.lower()}-outsider")).user
    incident = IncidentFactory(service=service, title="Card payments fail", severity="SEV2")
    incident = incident_resolve(incident=incident, by=alice, via="web")
    return PostmortemWorld(team=team, manager=manager, alice=alice, viewer=viewer, outsider=outsider,
                           incident=incident, postmortem=postmortem_of(incident, owner=manager))
