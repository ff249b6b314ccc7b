"""Forms of the campaign pages; the rules stay in campaigns.services (errors come back from it
by field name)."""

from typing import Any

from django import forms

from cyclecrm.campaigns.models import CampaignStatus, CampaignType, CostCategory, MemberStatus
from cyclecrm.core.errors import CrmError


class StyledForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{css} {field.widget.attrs.get('class', '')}".strip()

    def add_service_errors(self, exc: CrmError) -> None:
        for name, reasons in exc.fields.items():
            for reason in reasons:
                self.add_error(name if name in self.fields else None, reason)
        if not exc.fields:
            self.add_error(None, exc.message)


class CampaignForm(StyledForm):
    name = forms.CharField(max_length=200)
    code = forms.CharField(
        max_length=100, required=False, help_text="The utm_campaign value; blank: from the name."
    )
    type = forms.ChoiceField(choices=CampaignType.choices)
    status = forms.ChoiceField(choices=CampaignStatus.choices, initial=CampaignStatus.PLANNED)
    start_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    budget = forms.CharField(max_length=30, required=False, initial="0")
    expected_revenue = forms.CharField(max_length=30, required=False, initial="0")
    goal = forms.CharField(required=False, max_length=2000, widget=forms.Textarea({"rows": 2}))
    target_leads = forms.IntegerField(required=False, min_value=0, label="Target (leads)")
    description = forms.CharField(
        required=False, max_length=10000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data.get("code"):
            data.pop("code", None)
        for name in ("budget", "expected_revenue"):
            data[name] = data.get(name) or "0"
        return data


class CostForm(StyledForm):
    amount = forms.CharField(max_length=30)
    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    category = forms.ChoiceField(choices=CostCategory.choices, initial=CostCategory.MEDIA)
    note = forms.CharField(max_length=300, required=False)


def _ids(text: str) -> list[int]:
    parts = [part for part in text.replace(",", " ").split() if part]
    if not all(part.isdigit() and len(part) < 19 for part in parts):
        raise forms.ValidationError("Give ids as whole numbers separated by commas or spaces.")
    return [int(part) for part in parts]


class MembersForm(StyledForm):
    contact_ids = forms.CharField(required=False, label="Contact ids")
    lead_ids = forms.CharField(required=False, label="Lead ids")
    segment_id = forms.IntegerField(required=False, min_value=1, label="Segment id")

    def clean_contact_ids(self) -> list[int]:
        return _ids(self.cleaned_data.get("contact_ids") or "")

    def clean_lead_ids(self) -> list[int]:
        return _ids(self.cleaned_data.get("lead_ids") or "")


class MemberStatusForm(StyledForm):
    member_ids = forms.CharField()
    status = forms.ChoiceField(choices=MemberStatus.choices)

    def clean_member_ids(self) -> list[int]:
        return _ids(self.cleaned_data.get("member_ids") or "")


class UtmForm(StyledForm):
    base_url = forms.CharField(max_length=2000, label="Landing page URL")
    utm_source = forms.CharField(max_length=200, required=False, label="Source")
    utm_medium = forms.CharField(max_length=200, required=False, label="Medium")
    utm_campaign = forms.CharField(max_length=200, required=False, label="Campaign")
    utm_term = forms.CharField(max_length=200, required=False, label="Term")
    utm_content = forms.CharField(max_length=200, required=False, label="Content")
