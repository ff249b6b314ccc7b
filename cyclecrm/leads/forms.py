"""Forms for lead pages and lead settings. They check shape only; the services judge the rest and
their field errors come back next to the inputs (`add_service_errors`)."""

from decimal import Decimal
from typing import Any

from django import forms
from django.conf import settings

from cyclecrm.core.money import round_money
from cyclecrm.identity.forms import BootstrapForm
from cyclecrm.identity.models import Team, User
from cyclecrm.leads.models import (
    AssignmentKind,
    AssignmentRule,
    Lead,
    LeadGrade,
    LeadSource,
    ScoringOperator,
    ScoringRule,
)
from cyclecrm.leads.selectors import Candidate
from cyclecrm.leads.services.scoring import FIELD_SPECS
from cyclecrm.web.records.forms import RecordForm

LEAD_FORM_FIELDS = (
    "first_name", "last_name", "title", "email", "phone", "description",
    "company", "website", "industry", "employees", "country", "region",
    "budget", "budget_currency", "authority", "need", "need_level", "timeline_date",
    "timeline_horizon",
    "source", "campaign_name", "utm_source", "utm_medium", "utm_campaign", "utm_term",
    "utm_content", "consent_email", "consent_text",
)  # fmt: skip

LEAD_LABELS = {
    "email": "E-mail",
    "description": "Notes",
    "budget_currency": "Budget currency",
    "need_level": "Need",
    "need": "Need (details)",
    "timeline_date": "Decision expected",
    "timeline_horizon": "Timeline",
    "campaign_name": "Campaign",
    "utm_source": "UTM source",
    "utm_medium": "UTM medium",
    "utm_campaign": "UTM campaign",
    "utm_term": "UTM term",
    "utm_content": "UTM content",
    "consent_email": "E-mail consent",
    "consent_email_at": "E-mail consent given",
    "consent_text": "Consent wording",
    "capture_form": "Capture form",
    "mql_at": "MQL since",
}


class LeadForm(RecordForm):
    model = Lead
    field_names = LEAD_FORM_FIELDS
    textareas = frozenset({"description", "need", "consent_text"})
    labels = LEAD_LABELS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        owner = self.fields.get("owner")
        if self.instance is None and owner is not None and not owner.disabled:
            # No owner on a new lead: the assignment rules choose (else it is yours).
            owner.choices = [
                (value, "— by the assignment rules —" if value == "" else label)
                for value, label in owner.choices
            ]


def _split(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


# -- conversion -------------------------------------------------------------------------------


class ConvertForm(BootstrapForm):
    account = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, widget=forms.RadioSelect
    )
    contact = forms.TypedChoiceField(
        coerce=int, empty_value=None, required=False, widget=forms.RadioSelect
    )
    create_opportunity = forms.BooleanField(
        required=False, initial=True, label="Create an opportunity"
    )
    opportunity_name = forms.CharField(required=False, max_length=200, label="Opportunity name")
    amount = forms.CharField(required=False, max_length=40, label="Amount")

    def __init__(
        self,
        data: Any = None,
        *,
        lead: Lead,
        accounts: list[Candidate],
        contacts: list[Candidate],
    ) -> None:
        initial = {
            "create_opportunity": True,
            "account": accounts[0].record.pk if accounts else None,
            "contact": contacts[0].record.pk if contacts else None,
        }
        super().__init__(data, initial=initial)
        reasons = {"domain": "same website domain", "name": "same name", "email": "same e-mail"}
        self.fields["account"].choices = [
            (c.record.pk, f"{c.record} ({reasons[c.reason]})") for c in accounts
        ]
        self.fields["contact"].choices = [
            (c.record.pk, f"{c.record} ({reasons[c.reason]})") for c in contacts
        ]
        company = lead.company or str(lead)
        self.fields["opportunity_name"].widget.attrs["placeholder"] = f"{company} deal"
        currency = lead.budget_currency or settings.CYCLECRM["DEFAULT_CURRENCY"]
        budget = f"{round_money(lead.budget or Decimal(0), currency):f}"
        self.fields["amount"].widget.attrs.update(placeholder=budget, inputmode="decimal")
        self.fields["amount"].help_text = "Defaults to the lead's budget."

    def service_arguments(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "create_opportunity": data["create_opportunity"],
            "opportunity_name": data["opportunity_name"] or None,
            "amount": data["amount"] or None,
            "account_id": data["account"],
            "contact_id": data["contact"],
        }


# -- scoring ----------------------------------------------------------------------------------

LIST_OPERATORS = {ScoringOperator.IN, ScoringOperator.CONTAINS}


class ScoringRuleForm(BootstrapForm):
    name = forms.CharField(max_length=100)
    field = forms.CharField(
        max_length=50,
        help_text="A lead field, or engagement.<metric> for engagement rules.",
        widget=forms.TextInput(attrs={"list": "scoring-fields", "autocomplete": "off"}),
    )
    operator = forms.ChoiceField(choices=ScoringOperator.choices)
    value = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Separate several values with commas (for “is one of” and “contains”).",
    )
    points = forms.IntegerField(min_value=-1000, max_value=1000)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    field_names = sorted(FIELD_SPECS)

    @classmethod
    def initial_for(cls, rule: ScoringRule) -> dict[str, Any]:
        value = rule.value
        if isinstance(value, list):
            value = ", ".join(str(item) for item in value)
        return {
            "name": rule.name,
            "field": rule.field,
            "operator": rule.operator,
            "value": "" if value is None else value,
            "points": rule.points,
            "is_active": rule.is_active,
        }

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        operator = data["operator"]
        if operator == ScoringOperator.IS_SET:
            data["value"] = None
        elif operator in LIST_OPERATORS:
            data["value"] = _split(data["value"])
        return data


class GradeForm(BootstrapForm):
    letter = forms.CharField(max_length=2, help_text="Such as A, B or B+.")
    min_score = forms.IntegerField(label="Minimum score", min_value=-1_000_000, max_value=1_000_000)
    marks_mql = forms.BooleanField(required=False, label="Marks the lead marketing-qualified")

    @classmethod
    def initial_for(cls, grade: LeadGrade) -> dict[str, Any]:
        return {"letter": grade.letter, "min_score": grade.min_score, "marks_mql": grade.marks_mql}


# -- assignment -------------------------------------------------------------------------------


class AssignmentRuleForm(BootstrapForm):
    name = forms.CharField(max_length=100)
    kind = forms.ChoiceField(choices=AssignmentKind.choices)
    position = forms.IntegerField(
        min_value=0, max_value=1_000_000, initial=0, help_text="Rules are tried lowest first."
    )
    countries = forms.CharField(
        required=False, help_text="Territory: country codes or names, separated by commas."
    )
    regions = forms.CharField(required=False, help_text="Territory: regions, separated by commas.")
    sources = forms.MultipleChoiceField(
        required=False, choices=LeadSource.choices, widget=forms.CheckboxSelectMultiple
    )
    team = forms.TypedChoiceField(
        coerce=int,
        empty_value=None,
        required=False,
        help_text="Given to assigned leads; by default the assignee's first team.",
    )
    assignees = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, help_text="They take turns, in this order."
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, users: list[User], teams: list[Team], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignees"].choices = [(user.pk, _user_label(user)) for user in users]
        self.fields["team"].choices = [("", "—")] + [(team.pk, team.name) for team in teams]

    @classmethod
    def initial_for(cls, rule: AssignmentRule) -> dict[str, Any]:
        return {
            "name": rule.name,
            "kind": rule.kind,
            "position": rule.position,
            "countries": ", ".join(rule.countries or []),
            "regions": ", ".join(rule.regions or []),
            "sources": rule.sources,
            "team": rule.team_id,
            "assignees": [user.pk for user in rule.assignees.all()],
            "is_active": rule.is_active,
        }

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "name": data["name"],
            "kind": data["kind"],
            "position": data["position"],
            "countries": _split(data["countries"]),
            "regions": _split(data["regions"]),
            "sources": data["sources"],
            "team_id": data["team"],
            "assignee_ids": data["assignees"],
            "is_active": data["is_active"],
        }


def _user_label(user: User) -> str:
    name = user.get_full_name()
    return f"{name} ({user.username})" if name else user.username


class AssignmentTestForm(BootstrapForm):
    country = forms.CharField(required=False, max_length=100)
    region = forms.CharField(required=False, max_length=100)
    source = forms.ChoiceField(required=False, choices=[("", "—"), *LeadSource.choices])
