"""Forms for program configuration pages. They only parse input; the services validate (their
field errors are put back on the form) so the UI and the API refuse the same things."""

from typing import Any

from django import forms

from cyclecrm.loyalty.models import EarningAction, TierBasis


class BootstrapForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field, forms.BooleanField):
                css = "form-check-input"
            elif isinstance(field, forms.ChoiceField):
                css = "form-select"
            else:
                css = "form-control"
            field.widget.attrs["class"] = css

    def service_data(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class ProgramForm(BootstrapForm):
    name = forms.CharField(max_length=200)
    description = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 2})
    )
    currency = forms.CharField(max_length=3, initial="EUR")
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    points_valid_days = forms.IntegerField(
        min_value=0, max_value=3650, initial=365, label="Points valid for (days, 0: forever)"
    )
    tier_basis = forms.ChoiceField(choices=TierBasis.choices, label="Tiers measured on")
    tier_window_days = forms.IntegerField(
        min_value=1, max_value=3650, initial=365, label="Tier window (days)"
    )


class RuleForm(BootstrapForm):
    name = forms.CharField(max_length=200)
    action = forms.ChoiceField(choices=EarningAction.choices)
    category = forms.CharField(required=False, max_length=100, label="Product category")
    points_per_unit = forms.DecimalField(
        required=False, min_value=0, max_digits=10, decimal_places=4, initial=0
    )
    points = forms.IntegerField(required=False, min_value=0, initial=0)
    cap_points = forms.IntegerField(required=False, min_value=0, initial=0, label="Cap (points)")
    cap_period_days = forms.IntegerField(
        required=False, min_value=0, max_value=3650, initial=0, label="Cap period (days)"
    )
    valid_from = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    valid_until = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        for name in ("points_per_unit", "points", "cap_points", "cap_period_days"):
            if data.get(name) is None:
                data[name] = 0
        data["category"] = data.get("category") or ""
        return data


class TierForm(BootstrapForm):
    name = forms.CharField(max_length=100)
    rank = forms.IntegerField(min_value=1, max_value=100)
    threshold = forms.DecimalField(min_value=0, max_digits=14, decimal_places=2)
    benefits = forms.CharField(required=False, max_length=5000)
    color = forms.CharField(
        max_length=7, initial="#6c757d", widget=forms.TextInput(attrs={"type": "color"})
    )


class AdjustForm(BootstrapForm):
    points = forms.IntegerField(
        min_value=-1_000_000, max_value=1_000_000, help_text="Negative takes points away."
    )
    reason = forms.CharField(max_length=300)


def add_service_errors(form: forms.Form, fields: dict[str, list[str]], message: str) -> None:
    """Put a service's field errors on the form (unknown fields become form-wide errors)."""
    for name, reasons in fields.items():
        for reason in reasons:
            form.add_error(name if name in form.fields else None, reason)
    if not fields:
        form.add_error(None, message)
