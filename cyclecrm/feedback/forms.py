from typing import Any

from django import forms

from cyclecrm.feedback.models import SurveyKind
from cyclecrm.identity.models import Team


class SurveyForm(forms.Form):
    name = forms.CharField(max_length=200)
    kind = forms.ChoiceField(choices=SurveyKind.choices)
    question = forms.CharField(
        max_length=500, required=False, help_text="Empty: the standard question of the kind."
    )
    email_subject = forms.CharField(max_length=200, label="E-mail subject")
    email_intro = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 3}), label="E-mail introduction"
    )
    link_valid_days = forms.IntegerField(
        min_value=1, max_value=365, initial=14, label="Link valid (days)"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    targets = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        label="Target contacts (NPS)",
        help_text="Contact ids, separated by commas or spaces.",
    )
    schedule_days = forms.IntegerField(
        min_value=0,
        max_value=366,
        initial=0,
        required=False,
        label="Send to the targets every (days)",
        help_text="0: only when sent by hand.",
    )
    queues = forms.TypedMultipleChoiceField(
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Send when a case of these queues is resolved (CSAT only)",
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["queues"].choices = [
            (team.pk, team.name) for team in Team.objects.order_by("name")
        ]
        if editing:
            self.fields["kind"].disabled = True

    def clean_targets(self) -> list[str]:
        items = (self.cleaned_data.get("targets") or "").replace(",", " ").split()
        if any(not item.isdigit() or len(item) > 12 for item in items):
            raise forms.ValidationError("Enter contact ids (numbers) only.")
        return items

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["queue_ids"] = data.pop("queues")
        data["schedule_days"] = data.get("schedule_days") or 0
        data["target_contact_ids"] = [int(item) for item in data.pop("targets")]
        if not data["question"]:
            data.pop("question")
        return data


class SendForm(forms.Form):
    contacts = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        label="Contacts",
        help_text="E-mail addresses or contact ids, separated by commas or new lines.",
    )
    use_target = forms.BooleanField(
        required=False, label="Also send to the survey's target contacts"
    )

    def references(self) -> list[str]:
        raw = self.cleaned_data.get("contacts") or ""
        return [item.strip() for item in raw.replace(",", "\n").split() if item.strip()]
