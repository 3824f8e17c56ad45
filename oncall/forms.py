"""Forms of the on-call pages. They check the shape of the input; the services in contacts.py,
schedules.py and policies.py decide whether it makes sense, and their refusals are shown as errors."""
from datetime import time
from zoneinfo import ZoneInfo

from django import forms
from django.contrib.auth.models import User

from .models import ContactMethod, Layer, NotificationRule, Restriction, StepTarget
from .rotation import resolve_local

# The zones most teams are in; any other IANA name can be typed into the "other" box.
COMMON_ZONES = [
    "UTC", "America/Los_Angeles", "America/Denver", "America/Chicago", "America/New_York", "America/Sao_Paulo",
    "Europe/London", "Europe/Dublin", "Europe/Paris", "Europe/Berlin", "Europe/Helsinki", "Africa/Johannesburg",
    "Asia/Dubai", "Asia/Kolkata", "Asia/Singapore", "Asia/Tokyo", "Australia/Sydney", "Pacific/Auckland",
]
WEEKDAYS = [(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday"), (5, "Saturday"),
            (6, "Sunday")]
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


def person_label(user: User) -> str:
    return user.get_full_name() or user.get_username()


class PersonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return person_label(obj)


class ZoneForm(forms.Form):
    """A select of common zones plus a free-text box; the service validates the name."""

    time_zone = forms.ChoiceField(choices=[(z, z) for z in COMMON_ZONES] + [("", "Other (type it)…")], required=False)
    time_zone_other = forms.CharField(max_length=64, required=False, label="Other time zone",
                                      widget=forms.TextInput(attrs={"placeholder": "e.g. America/Anchorage"}))

    def __init__(self, *args, zone: str = "UTC", **kwargs):
        super().__init__(*args, **kwargs)
        if zone and zone not in COMMON_ZONES:
            self.initial.setdefault("time_zone", "")
            self.initial.setdefault("time_zone_other", zone)
        elif zone:
            self.initial.setdefault("time_zone", zone)

    def clean(self):
        data = super().clean()
        data["zone"] = (data.get("time_zone_other") or "").strip() or data.get("time_zone") or ""
        if not data["zone"]:
            self.add_error("time_zone_other", "Choose a time zone or type its IANA name.")
        return data


class ScheduleForm(ZoneForm):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=100)
    field_order = ["team", "name", "time_zone", "time_zone_other"]

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean(self):
        data = super().clean()
        team, name = data.get("team"), (data.get("name") or "").strip()
        if team and name and team.schedules.filter(name=name).exists():
            self.add_error("name", f"{team} already has a schedule named {name!r}.")
        return data


class WallClockField(forms.DateTimeField):
    """A datetime-local input. Django makes it aware in the server's zone without moving the wall
    clock; the form takes that wall clock and places it in the schedule's zone."""

    widget = forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL)
    input_formats = [DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"]


class OverrideForm(forms.Form):
    user = PersonChoiceField(queryset=None, label="Person", empty_label=None)
    starts_at = WallClockField(label="Start")
    ends_at = WallClockField(label="End")

    def __init__(self, *args, members, zone: ZoneInfo, **kwargs):
        super().__init__(*args, **kwargs)
        self.zone = zone
        self.fields["user"].queryset = members
        self.fields["starts_at"].help_text = self.fields["ends_at"].help_text = f"In {zone.key}"

    def clean(self):
        data = super().clean()
        for name in ("starts_at", "ends_at"):
            if data.get(name):
                # A time the clocks skip means the moment after the jump, as for hand-offs.
                data[name] = resolve_local(data[name].replace(tzinfo=None), self.zone)
        return data


class ShadowForm(OverrideForm):
    """Someone beside whoever is on call (or beside one person's shifts) between two instants."""

    shadowing = PersonChoiceField(queryset=None, required=False, label="Beside",
                                  empty_label="Whoever is on call")
    layer = forms.ModelChoiceField(queryset=None, required=False, label="Only on layer", empty_label="Any layer")
    # The schedule page has the override form too: its own field names and ids.
    prefix = "shadow"
    field_order = ["user", "shadowing", "layer", "starts_at", "ends_at"]

    def __init__(self, *args, members, layers, zone: ZoneInfo, **kwargs):
        super().__init__(*args, members=members, zone=zone, **kwargs)
        self.fields["user"].label = "Shadow"
        self.fields["shadowing"].queryset = members
        self.fields["layer"].queryset = layers


class TakeShiftForm(forms.Form):
    """The span of a shift on the page, as ISO 8601 instants with their offset."""

    start = forms.DateTimeField()
    end = forms.DateTimeField()


class LayerForm(forms.Form):
    name = forms.CharField(max_length=100, required=False, widget=forms.TextInput(attrs={"placeholder": "Primary"}))
    turn_length = forms.IntegerField(min_value=1, max_value=365, initial=1, label="Turn length")
    turn_unit = forms.ChoiceField(choices=Layer.TurnUnit.choices, initial=Layer.TurnUnit.WEEKS, label="Unit")
    handoff_time = forms.TimeField(initial=time(9), label="Hand-off time",
                                   widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    start_date = forms.DateField(label="First hand-off on", widget=forms.DateInput(attrs={"type": "date"}))
    participants = forms.CharField(
        max_length=2000, label="People, in rotation order",
        help_text="Usernames separated by commas; the first one takes the first turn.",
        widget=forms.TextInput(attrs={"placeholder": "alice, bob, carol"}))
    restriction = forms.ChoiceField(
        choices=[("", "Always on")] + Restriction.Kind.choices, required=False, label="Only on call")
    start_weekday = forms.TypedChoiceField(choices=[("", "—")] + WEEKDAYS, coerce=int, required=False,
                                           empty_value=None, label="From day")
    start_time = forms.TimeField(required=False, label="From", widget=forms.TimeInput(attrs={"type": "time"}))
    end_weekday = forms.TypedChoiceField(choices=[("", "—")] + WEEKDAYS, coerce=int, required=False,
                                         empty_value=None, label="To day")
    end_time = forms.TimeField(required=False, label="To", widget=forms.TimeInput(attrs={"type": "time"}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.members = {u.get_username().lower(): u for u in members}

    def clean_participants(self):
        names = [n.strip() for n in self.cleaned_data["participants"].split(",") if n.strip()]
        unknown = [n for n in names if n.lower() not in self.members]
        if unknown:
            raise forms.ValidationError(f"Not members of this team: {', '.join(unknown)}.")
        if not names:
            raise forms.ValidationError("Name at least one person.")
        return [self.members[n.lower()] for n in names]

    def clean(self):
        data = super().clean()
        kind = data.get("restriction")
        if kind:
            needed = ["start_time", "end_time"] + (["start_weekday", "end_weekday"] if kind == "weekly" else [])
            for name in needed:
                if data.get(name) in (None, ""):
                    self.add_error(name, "Needed for this restriction.")
        return data

    def restrictions(self) -> list[dict]:
        data = self.cleaned_data
        if not data.get("restriction"):
            return []
        window = {"kind": data["restriction"], "start_time": data["start_time"], "end_time": data["end_time"]}
        if data["restriction"] == Restriction.Kind.WEEKLY:
            window.update(start_weekday=data["start_weekday"], end_weekday=data["end_weekday"])
        return [window]


class PolicyCreateForm(forms.Form):
    team = forms.ModelChoiceField(queryset=None, empty_label=None)
    name = forms.CharField(max_length=100)
    repeat_count = forms.IntegerField(min_value=0, max_value=20, initial=0, label="Repeat")

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = teams

    def clean(self):
        data = super().clean()
        team, name = data.get("team"), data.get("name")
        if team and name and team.escalation_policies.filter(name=name).exists():
            self.add_error("name", f"{team} already has a policy named {name!r}.")
        return data


class PolicyForm(forms.Form):
    repeat_count = forms.IntegerField(min_value=0, max_value=20, label="Repeat the policy",
                                      help_text="More times after the last step (0 = run once).")


class StepForm(forms.Form):
    delay_minutes = forms.IntegerField(min_value=0, max_value=1440, initial=15, label="Then wait (minutes)")
    targets = forms.MultipleChoiceField(choices=(), required=False, label="Page")
    remove = forms.BooleanField(required=False, label="Remove this step")

    def __init__(self, *args, target_choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["targets"].choices = target_choices
        self.fields["targets"].widget.attrs["size"] = min(10, sum(len(group) for _, group in target_choices) + 3)

    def step(self) -> dict:
        targets = []
        for value in self.cleaned_data["targets"]:
            kind, _, pk = value.partition(":")
            targets.append({"kind": kind, "id": int(pk)})
        return {"delay_minutes": self.cleaned_data["delay_minutes"], "targets": targets}


StepFormSet = forms.formset_factory(StepForm, extra=0, max_num=30, absolute_max=30, validate_max=True)


def target_choices(*, people, schedules, teams) -> list:
    """Grouped options whose values are "user:ID", "schedule:ID" and "team:ID"."""
    return [
        ("Schedules (whoever is on call)", [(f"{StepTarget.Kind.SCHEDULE}:{s.pk}", s.name) for s in schedules]),
        ("People", [(f"{StepTarget.Kind.USER}:{u.pk}", person_label(u)) for u in people]),
        ("Teams (all responders)", [(f"{StepTarget.Kind.TEAM}:{t.pk}", t.name) for t in teams]),
    ]


class ContactMethodForm(forms.Form):
    kind = forms.ChoiceField(choices=ContactMethod.Kind.choices)
    value = forms.CharField(max_length=254, label="Number, address or Slack member id",
                            widget=forms.TextInput(attrs={"placeholder": "+14155550100"}))
    label = forms.CharField(max_length=50, required=False, widget=forms.TextInput(attrs={"placeholder": "Work phone"}))


class CodeForm(forms.Form):
    code = forms.CharField(max_length=12, widget=forms.TextInput(
        attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": "6-digit code"}))


class RuleForm(forms.Form):
    urgency = forms.ChoiceField(choices=NotificationRule.Urgency.choices)
    contact_method = forms.ModelChoiceField(queryset=None, empty_label=None, label="Contact")
    delay_minutes = forms.IntegerField(min_value=0, max_value=1440, initial=0, label="After (minutes)")

    def __init__(self, *args, methods, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["contact_method"].queryset = methods
