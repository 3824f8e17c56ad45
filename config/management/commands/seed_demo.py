"""Demo data for `make run`: a team, its people, a service with one integration of each kind, and
the demo login. Safe to run any number of times: what exists is kept, nothing is duplicated.

The database keeps only hashes of tokens and passwords, so the raw secrets the demo prints are
kept in VAR_DIR/demo_credentials.json (mode 0600). A recorded secret that no longer matches its
hash (someone rotated a token in the admin) is replaced by a new one, which is recorded.

Each part of the demo is one function; on-call data (contact methods, a rotation, an escalation
policy) joins as further functions called from `seed`.
"""
import json
import os
import secrets
from datetime import date, time, timedelta
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import User
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from incidents.demo_postmortem import seed_resolved_major_incident
from incidents.demo_response import seed_incident_mid_response
from incidents.models import Integration, Service
from incidents.selectors import integration_urls
from incidents.services import integration_create, integration_rotate_token, service_create
from oncall import policies
from oncall.contacts import notification_rules_default
from oncall.models import ApiToken, ContactMethod, EscalationPolicy, Layer, Membership, Schedule, Team, hash_secret
from oncall.schedules import layer_participants_set, oncall_users_at, override_create, shadow_create
from oncall.services import api_token_create, membership_set, team_create

CREDENTIALS_FILE = "demo_credentials.json"
DEMO_USERNAME = "demo"
TEAM = {"name": "Platform", "slug": "platform", "description": "Runs the shop's web tier and its databases."}
# username, first name, last name
RESPONDERS = [("alice", "Alice", "Archer"), ("bob", "Bob", "Baker"), ("carol", "Carol", "Chen")]
# New on the team: shadows whoever is on call (a copy of every page, never responsible).
SHADOW = ("dana", "Dana", "Diaz")
SHADOW_WEEKS = 4
SERVICE = {
    "name": "Checkout API",
    "description": "Takes payments and turns carts into orders.",
    "runbook_url": "https://runbooks.example.com/checkout-api",
}
# kind -> (name, config)
INTEGRATIONS = {
    Integration.Kind.GENERIC: ("Scripts and cron jobs", {}),
    Integration.Kind.ALERTMANAGER: ("Prometheus Alertmanager", {}),
    Integration.Kind.GRAFANA: ("Grafana Alerting", {}),
    Integration.Kind.PAGERDUTY: ("PagerDuty Events API", {}),
    # A nightly job beats once a day; an hour's grace covers a slow run. (At 5 minutes, the demo opened an
    # incident six minutes after `make run`, for a "nightly" job.)
    Integration.Kind.HEARTBEAT: ("Nightly backup heartbeat", {"interval_seconds": 86400, "grace_seconds": 3600}),
    # Nagios's own subjects: a PROBLEM and its RECOVERY share the host/service key, the RECOVERY resolves.
    Integration.Kind.EMAIL: ("Nagios mail", {
        "dedup_pattern": r"(?:Service|Host) Alert: (?P<key>\S+)", "resolve_pattern": r"^\*\* RECOVERY",
        "severity_map": {"CRITICAL": "critical", "WARNING": "warning"}}),
}
API_TOKEN_NAME = "Demo token (seed_demo)"
# username -> contact methods (kind, value). Without providers they land in the outbox page.
CONTACTS = {
    "alice": [("sms", "+14155550101"), ("voice", "+14155550101")],
    "bob": [("sms", "+14155550102"), ("email", "bob@example.com")],
    "carol": [("email", "carol@example.com")],
    "dana": [("email", "dana@example.com")],
    DEMO_USERNAME: [("email", "demo@example.com")],
}
SCHEDULE = {"name": "Platform primary", "time_zone": "America/New_York"}
POLICY = {"name": "Checkout API escalation", "repeat_count": 1}


class Credentials:
    """The demo's raw secrets, read once and written back only when one changed."""

    def __init__(self, path: Path):
        self.path = path
        try:
            self.data = json.loads(path.read_text())
        except FileNotFoundError:
            self.data = {}
        except (OSError, ValueError):
            # An unreadable file only costs new secrets: every recorded one is re-checked anyway.
            self.data = {}
        if not isinstance(self.data, dict):
            self.data = {}
        self.changed = False

    def get(self, key: str, kind: type = str):
        value = self.data.get(key)
        return value if isinstance(value, kind) else None

    def set(self, key: str, value) -> None:
        if self.data.get(key) != value:
            self.data[key] = value
            self.changed = True

    def save(self) -> None:
        if not self.changed and self.path.exists():
            if self.path.stat().st_mode & 0o077:
                self.path.chmod(0o600)
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(self.data, f, indent=2, sort_keys=True)
            f.write("\n")
        os.replace(tmp, self.path)
        self.changed = False


def seed_team() -> Team:
    return Team.objects.filter(slug=TEAM["slug"]).first() or team_create(**TEAM)


def seed_member(*, team: Team, user: User, role: str) -> None:
    if not Membership.objects.filter(team=team, user=user, role=role).exists():
        membership_set(team=team, user=user, role=role)


def seed_demo_user(*, team: Team, credentials: Credentials) -> tuple[User, str]:
    """The one person who logs in: the team's manager, and a superuser so the admin works."""
    user, _ = User.objects.get_or_create(
        username=DEMO_USERNAME,
        defaults={"first_name": "Demo", "last_name": "User", "email": "demo@example.com",
                  "is_staff": True, "is_superuser": True},
    )
    if not (user.is_staff and user.is_superuser and user.is_active):
        user.is_staff = user.is_superuser = user.is_active = True
        user.save(update_fields=["is_staff", "is_superuser", "is_active"])
    password = credentials.get("password")
    if not password or not user.check_password(password):
        password = secrets.token_urlsafe(12)
        user.set_password(password)
        user.save(update_fields=["password"])
        credentials.set("password", password)
    seed_member(team=team, user=user, role=Membership.Role.MANAGER)
    return user, password


def seed_responders(*, team: Team, people=RESPONDERS) -> list[User]:
    found = []
    for username, first_name, last_name in people:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"first_name": first_name, "last_name": last_name, "email": f"{username}@example.com"},
        )
        if created:
            # Demo people are paged, they do not log in.
            user.set_unusable_password()
            user.save(update_fields=["password"])
        seed_member(team=team, user=user, role=Membership.Role.RESPONDER)
        found.append(user)
    return found


def seed_service(*, team: Team) -> Service:
    return Service.objects.filter(team=team, name=SERVICE["name"]).first() or service_create(team=team, **SERVICE)


def seed_integrations(*, service: Service, credentials: Credentials) -> dict[str, dict]:
    """One integration of each kind; returns kind -> its URLs (see integration_urls)."""
    recorded = dict(credentials.get("integrations", dict) or {})
    urls = {}
    for kind, (name, config) in INTEGRATIONS.items():
        integration = service.integrations.filter(kind=kind, name=name).first()
        token = recorded.get(kind)
        if integration is None:
            integration, token = integration_create(service=service, kind=kind, name=name, config=config)
        elif not isinstance(token, str) or hash_secret(token) != integration.token_hash:
            token = integration_rotate_token(integration=integration)
        recorded[kind] = token
        urls[kind] = integration_urls(integration=integration, token=token)
    credentials.set("integrations", recorded)
    return urls


def seed_contacts(*, people: list[User]) -> None:
    """Verified contact methods and the default notification rules for each."""
    for user in people:
        for kind, value in CONTACTS.get(user.get_username(), []):
            method, created = ContactMethod.objects.get_or_create(
                user=user, kind=kind, value=value, defaults={"verified_at": timezone.now(), "label": "demo"})
            if created:
                notification_rules_default(user=user, contact_method=method)


def seed_schedule(*, team: Team, rotation: list[User]) -> Schedule:
    """A weekly rotation handing off on Mondays at 09:00 New York time."""
    schedule, created = Schedule.objects.get_or_create(team=team, name=SCHEDULE["name"],
                                                       defaults={"time_zone": SCHEDULE["time_zone"]})
    if created:
        layer = Layer.objects.create(schedule=schedule, name="Weekly", turn_unit="weeks", turn_length=1,
                                     handoff_time=time(9), start_date=date(2026, 1, 5))
        layer_participants_set(layer=layer, users=rotation)
    return schedule


def seed_demo_on_call(*, schedule: Schedule, user: User) -> None:
    """The person trying the demo is on call now (an override for a week), so that an alert pages
    them and the page shows in their outbox."""
    now = timezone.now()
    if user not in oncall_users_at(schedule=schedule, at=now):
        override_create(schedule=schedule, user=user, starts_at=now, ends_at=now + timedelta(days=7), created_by=user)


def seed_shadow(*, team: Team, schedule: Schedule, by: User) -> User:
    """dana shadows whoever is on call for a few weeks from the first seeding: her copies of the
    demo's pages land in the outbox, marked as shadow copies, and who-is-on-call names her apart."""
    [dana] = seed_responders(team=team, people=[SHADOW])
    now = timezone.now()
    if not schedule.shadows.filter(user=dana, ends_at__gt=now).exists():
        shadow_create(schedule=schedule, user=dana, starts_at=now, ends_at=now + timedelta(weeks=SHADOW_WEEKS),
                      created_by=by)
    return dana


def seed_policy(*, team: Team, schedule: Schedule, service: Service, manager: User) -> EscalationPolicy:
    """Whoever is on call first; five minutes later the manager; then everyone, once more."""
    policy = EscalationPolicy.objects.filter(team=team, name=POLICY["name"]).first() or policies.policy_create(
        team=team, **POLICY, steps=[
            {"delay_minutes": 5, "targets": [{"kind": "schedule", "id": schedule.pk}]},
            {"delay_minutes": 10, "targets": [{"kind": "user", "id": manager.pk}]},
            {"delay_minutes": 15, "targets": [{"kind": "team", "id": team.pk}]},
        ])
    if service.escalation_policy_id is None:
        Service.objects.filter(pk=service.pk).update(escalation_policy=policy)
    return policy


def seed_api_token(*, user: User, credentials: Credentials) -> str:
    raw = credentials.get("api_token")
    if raw and ApiToken.objects.filter(user=user, key_hash=hash_secret(raw), revoked_at__isnull=True).exists():
        return raw
    _token, raw = api_token_create(user=user, name=API_TOKEN_NAME)
    credentials.set("api_token", raw)
    return raw


def seed() -> dict:
    """Create whatever is missing and return the facts a person needs to try the demo."""
    credentials = Credentials(Path(settings.VAR_DIR) / CREDENTIALS_FILE)
    with transaction.atomic():
        team = seed_team()
        demo, password = seed_demo_user(team=team, credentials=credentials)
        responders = seed_responders(team=team)
        service = seed_service(team=team)
        schedule = seed_schedule(team=team, rotation=responders)
        shadow = seed_shadow(team=team, schedule=schedule, by=demo)
        seed_contacts(people=[*responders, shadow, demo])
        seed_policy(team=team, schedule=schedule, service=service, manager=demo)
        seed_demo_on_call(schedule=schedule, user=demo)
        integrations = seed_integrations(service=service, credentials=credentials)
        api_token = seed_api_token(user=demo, credentials=credentials)
        seed_incident_mid_response(service=service, demo=demo, responders=responders)
        seed_resolved_major_incident(service=service, demo=demo, responders=responders)
        # Written before the commit: if writing fails, the new hashes roll back with it.
        credentials.save()
    return {
        "web_url": settings.PUBLIC_URL,
        "login": {"username": demo.get_username(), "password": password},
        "api_token": api_token,
        "integrations": {
            kind: urls if kind == Integration.Kind.PAGERDUTY else urls["url"] for kind, urls in integrations.items()
        } | {Integration.Kind.EMAIL: {"url": integrations[Integration.Kind.EMAIL]["url"],
                                      "address": integrations[Integration.Kind.EMAIL].get("address")}},
    }


class Command(BaseCommand):
    help = "Create the demo team, people, service, integrations and login (idempotent) and print how to use them."

    def add_arguments(self, parser):
        parser.add_argument("--json", action="store_true", help="print one JSON object instead of text")

    def handle(self, *args, **options):
        facts = seed()
        if options["json"]:
            self.stdout.write(json.dumps(facts))
            return
        self.stdout.write(self.describe(facts))

    def describe(self, facts: dict) -> str:
        base = facts["web_url"]
        integrations = facts["integrations"]
        pagerduty = integrations[Integration.Kind.PAGERDUTY]
        lines = [
            self.style.SUCCESS("Vigil demo data is ready."),
            "",
            f"  Web:          {base}/",
            f"  Log in as:    {facts['login']['username']}  password: {facts['login']['password']}",
            f"  API token:    {facts['api_token']}",
            f"                curl -H 'Authorization: Bearer {facts['api_token']}' {base}/api/v1/incidents/",
            "",
            f"  Integrations of the service {SERVICE['name']!r}:",
        ]
        email = integrations[Integration.Kind.EMAIL]
        for kind, target in integrations.items():
            if kind in (Integration.Kind.PAGERDUTY, Integration.Kind.EMAIL):
                continue
            lines.append(f"    {kind:<13} {target}")
        lines += [
            f"    {'pagerduty':<13} {pagerduty['url']}  routing_key: {pagerduty['routing_key']}",
            f"    {'email':<13} {email['url']}"
            + (f"  address: {email['address']}" if email["address"] else "  (set VIGIL_EMAIL_DOMAIN for an address)"),
            "",
            "  Try an alert:",
            f"    curl -X POST -H 'Content-Type: application/json' -d '{{\"title\": \"Checkout errors above 5%\"}}' "
            f"{integrations[Integration.Kind.GENERIC]}",
            "  Whoever is on call is paged; with no SMS, Slack or mail provider configured the pages",
            f"  appear in the outbox, with working acknowledge links: {base}/notifications/outbox/",
            "  The heartbeat expects a beat every day (an hour's grace); without one it opens an incident:",
            f"    curl -X POST {integrations[Integration.Kind.HEARTBEAT]}",
            "  Mail a Nagios alert (its RECOVERY mail resolves it):",
            "    curl -H 'Content-Type: message/rfc822' --data-binary @tests/fixtures/email/nagios-problem.eml "
            f"{email['url']}",
            "",
            f"  These secrets are kept in {Path(settings.VAR_DIR) / CREDENTIALS_FILE};",
            "  the database has only their hashes.",
        ]
        return "\n".join(lines)
