"""The action item forms of the postmortem page (incidents/postmortems/_action_items.html): parsing
only; the services decide what is allowed. Choices are built once per page, not per form, so a
postmortem with fifty items costs the same queries as one with a single item."""
from dataclasses import dataclass

from django import forms
from django.contrib.auth.models import User
from django.utils import timezone

from .models import ActionItem, Postmortem
from .services.action_items import TITLE_LIMIT, URL_LIMIT, incident_tasks_to_offer

NOBODY = ("", "Nobody yet")


def owner_choices(postmortem: Postmortem) -> list[tuple[str, str]]:
    members = (User.objects.filter(memberships__team_id=postmortem.team_id, is_active=True)
               .order_by("username").distinct())
    return [NOBODY, *((str(u.pk), u.get_full_name() or u.get_username()) for u in members)]


class ActionItemForm(forms.Form):
    title = forms.CharField(max_length=TITLE_LIMIT, label="Action item", help_text="What will be done")
    owner = forms.TypedChoiceField(coerce=int, empty_value=None, required=False, label="Owner")
    due_on = forms.DateField(required=False, label="Due", widget=forms.DateInput(attrs={"type": "date"}))
    priority = forms.ChoiceField(choices=ActionItem.Priority.choices, initial=ActionItem.Priority.MEDIUM,
                                 label="Priority")
    ticket_url = forms.CharField(max_length=URL_LIMIT, required=False, label="Ticket link",
                                 widget=forms.URLInput(attrs={"placeholder": "https://"}))

    def __init__(self, *args, owners: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].choices = owners

    def owner_user(self) -> User | None:
        pk = self.cleaned_data.get("owner")
        return User.objects.filter(pk=pk).first() if pk else None


def form_for(item: ActionItem, *, owners: list, data=None) -> ActionItemForm:
    return ActionItemForm(data, owners=owners, prefix=f"ai{item.pk}", initial={
        "title": item.title, "owner": item.owner_id, "due_on": item.due_on, "priority": item.priority,
        "ticket_url": item.ticket_url})


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=ActionItem.Status.choices)


@dataclass
class ItemRow:
    item: ActionItem
    form: ActionItemForm
    overdue: bool


def action_items_partial_context(*, postmortem: Postmortem, action_items, can_edit: bool) -> dict:
    """What the partial needs beyond the page's context: the add form, each item's edit form,
    which items are overdue, and the incident's open tasks it may offer as items."""
    today = timezone.localdate()
    owners = owner_choices(postmortem) if can_edit else []
    rows = [ItemRow(item=item, form=form_for(item, owners=owners) if can_edit else None,
                    overdue=bool(item.due_on and item.due_on < today and item.status in ActionItem.OPEN_STATUSES))
            for item in action_items]
    return {
        "rows": rows,
        "add_form": ActionItemForm(owners=owners, prefix="new") if can_edit else None,
        "statuses": ActionItem.Status.choices,
        "open_tasks": list(incident_tasks_to_offer(postmortem)) if can_edit else [],
        "owner_missing": any(row.item.owner_id is None for row in rows),
    }
