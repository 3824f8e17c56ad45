"""Applying a file: read and check all of it, plan, then carry out the plan in one transaction.

Nothing is written unless every change succeeds: a file with a problem anywhere, found while
reading, planning or writing, leaves the database as it was. A dry run rehearses the writes too
(so it finds what only a service refuses) and rolls them back."""
from __future__ import annotations

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from config.errors import VigilError

from . import yaml_lines
from .document import Problems, read_document
from .plan import configuration_plan


@dataclass
class Outcome:
    plan: list[str]
    changed: bool
    # Where monitors send to each new integration: its token exists nowhere else.
    new_integrations: list[str] = field(default_factory=list)


class _Rehearsed(Exception):
    pass


def _message(error: Exception) -> str:
    if isinstance(error, ValidationError):
        return " ".join(error.messages)
    if isinstance(error, ProtectedError):
        return "other records still refer to it"
    return str(error).strip() or error.__class__.__name__


def configuration_apply(*, text: str, prune: bool = False, dry_run: bool = False) -> Outcome:
    """Make the database match the file `text`. Raises Problems (nothing written) when it cannot."""
    try:
        data = yaml_lines.load(text)
    except yaml_lines.YamlError as e:
        raise Problems([(e.line, e.message)]) from None
    teams = read_document(data)
    notes: list[str] = []
    try:
        with transaction.atomic():
            plan = configuration_plan(teams, prune=prune)
            for change in plan.ordered():
                try:
                    url = change.run()
                except (VigilError, ValidationError, IntegrityError, ProtectedError) as e:
                    raise Problems([(change.line, f"{change}: {_message(e)}")]) from None
                if url:
                    notes.append(f"{change.noun} {change.label}: {url}")
            if dry_run:
                raise _Rehearsed
    except _Rehearsed:
        return Outcome(plan=plan.lines(), changed=False)
    return Outcome(plan=plan.lines(), changed=bool(plan.changes), new_integrations=notes)
