"""The capture form editor (settings page). It checks shape only; the rules are the service's,
and its field errors come back through `add_service_errors` (with ALIASES)."""

from typing import Any

from django import forms

from cyclecrm.identity.forms import BootstrapForm
from cyclecrm.leads.capture.fields import ALLOWED_FIELDS, FIELD_SPECS
from cyclecrm.leads.models import CaptureForm, LeadSource

FIELD_CHOICES = [(name, FIELD_SPECS[name].label) for name in ALLOWED_FIELDS]
# Service field name -> form input name.
ALIASES = {"fields": "show_fields", "required_fields": "require_fields"}


class CaptureFormForm(BootstrapForm):
    name = forms.CharField(max_length=100, help_text="For you; visitors see it as the title.")
    source = forms.ChoiceField(choices=LeadSource.choices, help_text="Source of the new leads.")
    campaign_name = forms.CharField(
        max_length=200, required=False, help_text="Stored on every lead this form creates."
    )
    show_fields = forms.MultipleChoiceField(choices=FIELD_CHOICES, required=False)
    require_fields = forms.MultipleChoiceField(choices=FIELD_CHOICES, required=False)
    consent_text = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown next to a consent box. Leave empty to ask for no e-mail consent.",
    )
    double_opt_in = forms.BooleanField(
        required=False,
        label="Double opt-in: consent counts once the person confirms by e-mail",
    )
    thank_you_message = forms.CharField(
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Shown after submitting (a default text when empty).",
    )
    redirect_url = forms.CharField(
        max_length=500,
        required=False,
        label="Redirect URL",
        help_text="Instead of the thank-you page, send the browser here (https://…).",
    )
    max_per_ip_per_hour = forms.IntegerField(
        min_value=1,
        max_value=10_000,
        initial=10,
        label="Per IP address per hour",
        help_text="Half of it for submissions without the page's form token (embeds, JSON).",
    )
    max_per_hour = forms.IntegerField(
        min_value=1, max_value=1_000_000, initial=500, label="Per form per hour"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, instance: CaptureForm | None = None, **kwargs: Any) -> None:
        self.instance = instance
        if instance is not None:
            kwargs.setdefault("initial", initial_for(instance))
        super().__init__(*args, **kwargs)

    def field_rows(self) -> list[dict[str, Any]]:
        """One row per lead field for the table of check boxes (shown, required)."""
        shown = set(self["show_fields"].value() or [])
        required = set(self["require_fields"].value() or [])
        order = self._order()
        names = sorted(ALLOWED_FIELDS, key=lambda name: order.get(name, len(order)))
        return [
            {
                "name": name,
                "label": FIELD_SPECS[name].label,
                "shown": name in shown,
                "required": name in required,
            }
            for name in names
        ]

    def _order(self) -> dict[str, int]:
        current = list(self.instance.fields) if self.instance else []
        rest = [name for name in ALLOWED_FIELDS if name not in current]
        return {name: index for index, name in enumerate(current + rest)}

    def service_data(self) -> dict[str, Any]:
        """The service's input. A form whose order was set through the API keeps it; newly
        ticked fields go after the others, in the catalogue's order."""
        data = dict(self.cleaned_data)
        order = self._order()
        data["fields"] = sorted(data.pop("show_fields"), key=order.__getitem__)
        data["required_fields"] = data.pop("require_fields")
        return data


def initial_for(form: CaptureForm) -> dict[str, Any]:
    return {
        "name": form.name,
        "source": form.source,
        "campaign_name": form.campaign_name,
        "show_fields": list(form.fields),
        "require_fields": list(form.required_fields),
        "consent_text": form.consent_text,
        "double_opt_in": form.double_opt_in,
        "thank_you_message": form.thank_you_message,
        "redirect_url": form.redirect_url,
        "max_per_ip_per_hour": form.max_per_ip_per_hour,
        "max_per_hour": form.max_per_hour,
        "is_active": form.is_active,
    }
