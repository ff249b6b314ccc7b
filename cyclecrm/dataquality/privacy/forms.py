"""Forms of the privacy pages."""

from django import forms

from cyclecrm.dataquality.models import ConsentPurpose, RetentionAction
from cyclecrm.dataquality.privacy.retention import RETENTION_KINDS


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(choices=ConsentPurpose.choices)
    granted = forms.TypedChoiceField(
        choices=[("1", "Given"), ("0", "Withdrawn")], coerce=lambda v: v == "1"
    )
    source = forms.CharField(max_length=100, initial="manual")
    text_shown = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))


class RetentionPolicyForm(forms.Form):
    record_type = forms.ChoiceField(
        choices=[(key, kind.label) for key, kind in RETENTION_KINDS.items()]
    )
    max_age_days = forms.IntegerField(min_value=1, label="Days")
    action = forms.ChoiceField(choices=RetentionAction.choices)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
