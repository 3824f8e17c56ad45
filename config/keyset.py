"""Keyset pagination for the web pages that list history: a page costs the same at row 25 and at
row 2,000,000, because it seeks in an index ("older than this row") instead of counting and
skipping rows (`COUNT(*)` and `OFFSET` read everything before the page).

A list is ordered newest first by a (timestamp, id) pair; a page hands out opaque tokens for the
next older and the next newer page. A token that does not decode (edited by hand, from an older
version) gives the first page: a list is never an error page.
"""
import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet


@dataclass(frozen=True)
class KeysetPage:
    rows: list
    newer: str | None  # token of the page before this one, None on the first page
    older: str | None  # token of the page after this one, None on the last page


def _token(row, field: str) -> str:
    raw = json.dumps([getattr(row, field).isoformat(), row.pk]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _position(token: str | None) -> tuple[datetime, int] | None:
    if not token:
        return None
    try:
        at, pk = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
        return datetime.fromisoformat(at), int(pk)
    except (binascii.Error, ValueError, TypeError, UnicodeDecodeError):
        return None


def keyset_page(qs: QuerySet, *, field: str, size: int, older: str | None = None,
                newer: str | None = None) -> KeysetPage:
    """One page of `qs` newest first by (`field`, id): the rows after `older`'s position, or
    before `newer`'s, or from the top. Needs an index on (field DESC, id DESC) to be cheap."""
    if (position := _position(older)) is not None:
        at, pk = position
        # The redundant `field <= at` gives the planner a range to seek in the index; the OR alone
        # makes PostgreSQL walk the index from the top, so a deep page cost as much as OFFSET.
        rows = list(qs.filter(Q(**{f"{field}__lt": at}) | Q(**{field: at, "pk__lt": pk}), **{f"{field}__lte": at})
                    .order_by(f"-{field}", "-pk")[:size + 1])
        more = len(rows) > size
        rows = rows[:size]
        return KeysetPage(rows, newer=_token(rows[0], field) if rows else None,
                          older=_token(rows[-1], field) if more else None)
    if (position := _position(newer)) is not None:
        at, pk = position
        rows = list(qs.filter(Q(**{f"{field}__gt": at}) | Q(**{field: at, "pk__gt": pk}), **{f"{field}__gte": at})
                    .order_by(field, "pk")[:size + 1])
        more = len(rows) > size
        rows = rows[:size][::-1]
        if not rows:
            return keyset_page(qs, field=field, size=size)
        return KeysetPage(rows, newer=_token(rows[0], field) if more else None, older=_token(rows[-1], field))
    rows = list(qs.order_by(f"-{field}", "-pk")[:size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return KeysetPage(rows, newer=None, older=_token(rows[-1], field) if more else None)
