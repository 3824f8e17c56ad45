from django import forms


class NoteForm(forms.Form):
    text = forms.CharField(
        max_length=10_000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "What you saw, tried or decided"}),
        label="Add a note",
    )


class TransitionForm(forms.Form):
    """The optional words that go with a state change: a resolution summary, a reason to reopen."""

    note = forms.CharField(max_length=2_000, required=False)
