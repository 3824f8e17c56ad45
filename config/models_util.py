"""A partial update of one row, written once for every service."""
from collections.abc import Iterable

from django.db import models

# The default of an argument for which None is a value (it clears the field): "leave it alone".
KEEP = object()


def apply_changes(instance: models.Model, *, nullable: Iterable[str] = (), **fields) -> list[str]:
    """Set the given fields and save only those (`save(update_fields=…)`, so that a concurrent
    change to another field of the row is not overwritten). A field given as KEEP is left alone, and
    so is one given as None unless it is named in `nullable`, where None clears it. Returns the
    names of the fields saved."""
    nullable = set(nullable)
    changes = {name: value for name, value in fields.items()
               if value is not KEEP and (value is not None or name in nullable)}
    for name, value in changes.items():
        setattr(instance, name, value)
    if changes:
        instance.save(update_fields=list(changes))
    return list(changes)
