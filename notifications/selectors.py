"""Reads of deliveries that more than one module needs."""
from .models import Delivery


def delivery_bundle(*, delivery: Delivery) -> list[Delivery]:
    """The other pages that went out inside this delivery's SMS or call, oldest first."""
    return list(Delivery.objects.filter(bundled_into=delivery).select_related(
        "page__incident__service", "page__user").order_by("due_at", "id"))
