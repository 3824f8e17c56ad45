"""Recording changes: model signals catch every save and delete of the audited models, whatever
called them (a service, a form, the admin); a context variable says who and through what.

Why our own model rather than django-auditlog or django-simple-history: both record the user from
the request but not the way in (web page, API token, admin, a management command, a single sign-on
group sync), which the log must show; neither scopes entries to a team for its managers; and
simple-history adds a shadow table per model. A signal handler and one table do all of it.

Writes made with QuerySet.update() send no signal: the services that change an audited object
that way (revoking a token or feed, rotating an integration token, disabling a contact method,
ending an override) call `audit_record` themselves."""
import datetime
import decimal
import uuid

from django.db.models.signals import post_delete, post_save, pre_delete, pre_save

from .context import audit_context, who
from .models import AuditEntry

MASK = "****"
# Columns that hold a secret or its hash: a change is recorded, never the value.
SECRET_FIELDS = {"key_hash", "token_hash", "token_prefix", "key_prefix", "secret", "code_hash", "password"}
SECRET_KEY_PARTS = ("secret", "token", "password", "key")
# Bookkeeping that changes on use, not by anyone's decision.
IGNORED_FIELDS = {"last_used_at", "last_seen_at", "last_incident_number", "updated_at"}


def _team_of(path: str):
    def team(obj):
        value = obj
        for part in path.split("."):
            value = getattr(value, part, None)
            if value is None:
                return None
        return value
    return team


# Audited models: (team id of an object, owner id of an object).
AUDITED = {
    "oncall.team": (_team_of("pk"), None),
    "oncall.membership": (_team_of("team_id"), _team_of("user_id")),
    "incidents.service": (_team_of("team_id"), None),
    "incidents.integration": (_team_of("service.team_id"), None),
    "incidents.maintenancewindow": (_team_of("service.team_id"), None),
    "incidents.webhookendpoint": (_team_of("team_id"), None),
    "oncall.schedule": (_team_of("team_id"), None),
    "oncall.layer": (_team_of("schedule.team_id"), None),
    "oncall.restriction": (_team_of("layer.schedule.team_id"), None),
    "oncall.layerparticipant": (_team_of("layer.schedule.team_id"), None),
    "oncall.override": (_team_of("schedule.team_id"), _team_of("user_id")),
    "oncall.shadow": (_team_of("schedule.team_id"), _team_of("user_id")),
    "oncall.escalationpolicy": (_team_of("team_id"), None),
    "oncall.escalationstep": (_team_of("policy.team_id"), None),
    "oncall.steptarget": (_team_of("step.policy.team_id"), None),
    "oncall.contactmethod": (None, _team_of("user_id")),
    "oncall.notificationrule": (None, _team_of("user_id")),
    "oncall.apitoken": (None, _team_of("user_id")),
    "oncall.calendarfeed": (_team_of("schedule.team_id"), _team_of("user_id")),
}


def _label(obj) -> str:
    return f"{obj._meta.app_label}.{obj._meta.model_name}"


def _plain(value):
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    return value


def _masked_json(value):
    if isinstance(value, dict):
        return {k: MASK if any(p in str(k).lower() for p in SECRET_KEY_PARTS) and v else _masked_json(v)
                for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_json(v) for v in value]
    return value


def snapshot(obj) -> dict:
    values = {}
    for field in obj._meta.concrete_fields:
        if field.name in IGNORED_FIELDS:
            continue
        value = _plain(getattr(obj, field.attname))
        if field.name in SECRET_FIELDS:
            value = MASK if value else ""
        elif isinstance(value, (dict, list)):
            value = _masked_json(value)
        values[field.name] = value
    return values


def _scope(obj) -> tuple[int | None, int | None]:
    team_of, owner_of = AUDITED[_label(obj)]
    try:
        return (team_of(obj) if team_of else None), (owner_of(obj) if owner_of else None)
    except Exception:  # a parent already deleted in a cascade: the entry is kept, unscoped
        return None, None


def audit_record(*, instance, action: str, changes: dict, scope: tuple | None = None) -> AuditEntry | None:
    if not changes and action == AuditEntry.Action.CHANGED:
        return None
    actor, via = who()
    team_id, owner_id = scope or _scope(instance)
    return AuditEntry.objects.create(
        actor=actor, actor_name=actor.get_username() if actor else "", via=via, action=action,
        object_type=_label(instance), object_id=str(instance.pk), object_repr=str(instance)[:200],
        team_id=team_id, owner_id=owner_id, changes=changes)


def _before_save(sender, instance, raw=False, **kwargs):
    if raw or _label(instance) not in AUDITED:
        return
    old = sender._default_manager.filter(pk=instance.pk).first() if instance.pk else None
    instance._audit_before = snapshot(old) if old is not None else None


def _after_save(sender, instance, created, raw=False, **kwargs):
    if raw or _label(instance) not in AUDITED:
        return
    after = snapshot(instance)
    before = getattr(instance, "_audit_before", None)
    if created or before is None:
        audit_record(instance=instance, action=AuditEntry.Action.CREATED,
                     changes={k: [None, v] for k, v in after.items() if v not in (None, "", [], {})})
    else:
        audit_record(instance=instance, action=AuditEntry.Action.CHANGED,
                     changes={k: [before.get(k), v] for k, v in after.items() if before.get(k) != v})
    instance._audit_before = after


def _before_delete(sender, instance, **kwargs):
    if _label(instance) in AUDITED:
        instance._audit_scope = _scope(instance)  # parents may be gone after the cascade


def _after_delete(sender, instance, **kwargs):
    if _label(instance) not in AUDITED:
        return
    audit_record(instance=instance, action=AuditEntry.Action.DELETED, scope=getattr(instance, "_audit_scope", None),
                 changes={k: [v, None] for k, v in snapshot(instance).items() if v not in (None, "", [], {})})


def audit_updated(*, model, pk, **changes) -> None:
    """For services that change an audited row with QuerySet.update(): record what they set."""
    instance = model._default_manager.filter(pk=pk).first()
    if instance is None:
        return
    masked = {k: [None, MASK if k in SECRET_FIELDS else _plain(v)] for k, v in changes.items()}
    audit_record(instance=instance, action=AuditEntry.Action.CHANGED, changes=masked)


def connect() -> None:
    # Per model: a receiver for every model would cost the alert path its fast bulk deletes.
    for label in AUDITED:
        for signal, receiver in ((pre_save, _before_save), (post_save, _after_save),
                                 (pre_delete, _before_delete), (post_delete, _after_delete)):
            signal.connect(receiver, sender=label, dispatch_uid=f"audit-{receiver.__name__}-{label}")


class AuditMiddleware:
    """Web requests are recorded as web, /api/ as API, /admin/ as admin; the user is read when a
    change is recorded, after authentication (DRF authenticates tokens inside the view)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        via = AuditEntry.Via.API if path.startswith("/api/") else (
            AuditEntry.Via.ADMIN if path.startswith("/admin/") else AuditEntry.Via.WEB)
        with audit_context(via=via, request=request):
            return self.get_response(request)
