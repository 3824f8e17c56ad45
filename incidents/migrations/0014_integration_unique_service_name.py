"""Integrations are named uniquely within their service, so configuration files can refer to one by
service and name. Duplicates already stored are renamed first, deterministically: the oldest keeps
its name, the next becomes "Name (2)", then "Name (3)", skipping any name already taken."""
from django.db import migrations, models

NAME_MAX = 100


def _free_name(name: str, taken: set[str]) -> str:
    n = 2
    while True:
        suffix = f" ({n})"
        candidate = name[:NAME_MAX - len(suffix)] + suffix
        if candidate not in taken:
            return candidate
        n += 1


def rename_duplicates(apps, schema_editor):
    Integration = apps.get_model("incidents", "Integration")
    rows = Integration.objects.order_by("service_id", "id").values_list("id", "service_id", "name")
    by_service: dict[int, list[tuple[int, str]]] = {}
    for pk, service_id, name in rows:
        by_service.setdefault(service_id, []).append((pk, name))
    for integrations in by_service.values():
        taken = {name for _, name in integrations}
        seen: set[str] = set()
        for pk, name in integrations:
            if name not in seen:
                seen.add(name)
                continue
            new = _free_name(name, taken)
            taken.add(new)
            seen.add(new)
            Integration.objects.filter(pk=pk).update(name=new)


class Migration(migrations.Migration):

    dependencies = [
        ("incidents", "0013_incident_open_index"),
    ]

    operations = [
        migrations.RunPython(rename_duplicates, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="integration",
            constraint=models.UniqueConstraint(fields=("service", "name"), name="integration_unique_service_name"),
        ),
    ]
