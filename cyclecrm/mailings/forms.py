import re
from typing import Any

from django import forms

from cyclecrm.campaigns.models import Campaign
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.integrations.models import EmailTemplate
from cyclecrm.mailings.models import AbMetric, Mailing
from cyclecrm.segments.models import Segment

FIELDS = (
    "name", "subject", "segment", "campaign", "from_name", "from_email", "reply_to", "template",
    "html_body", "text_body", "rate_per_minute", "ab_test_share", "ab_metric", "ab_wait_hours",
    "ab_auto_winner", "ab_min_sample", "ab_min_effect", "ab_seed",
)  # fmt: skip
AB_OPTIONAL = ("ab_test_share", "ab_metric", "ab_wait_hours", "ab_min_sample", "ab_min_effect")
VARIANT_SLOTS = "ABC"
VARIANT_PARTS = ("subject", "from_name", "html_body")


def variant_initial(mailing: Mailing) -> dict[str, str]:
    """The editor's variant slots filled from the stored variants (in label order)."""
    initial = {}
    for slot, variant in zip(VARIANT_SLOTS, mailing.variants.all(), strict=False):
        for part in VARIANT_PARTS:
            initial[f"variant_{slot.lower()}_{part}"] = getattr(variant, part)
    return initial


class MailingForm(forms.Form):
    name = forms.CharField(max_length=200)
    subject = forms.CharField(
        max_length=300, help_text="Merge fields allowed: {{ contact.first_name }}."
    )
    segment = forms.ModelChoiceField(queryset=Segment.objects.none(), label="Audience segment")
    campaign = forms.ModelChoiceField(
        queryset=Campaign.objects.none(),
        required=False,
        help_text="Recipients become its members when sent; clicks become its touches.",
    )
    from_name = forms.CharField(max_length=200, required=False)
    from_email = forms.EmailField(required=False, help_text="Defaults to the server's sender.")
    reply_to = forms.EmailField(required=False)
    template = forms.ModelChoiceField(
        queryset=EmailTemplate.objects.none(),
        required=False,
        help_text="Used when the HTML body is empty.",
    )
    html_body = forms.CharField(
        required=False,
        label="HTML body",
        widget=forms.Textarea(attrs={"rows": 10, "class": "font-monospace"}),
        help_text="Merge fields ({{ contact.first_name }}) and conditional blocks "
        "({% if contact.city %}…{% endif %}); {{ unsubscribe_url }} places the unsubscribe link.",
    )
    text_body = forms.CharField(
        required=False,
        label="Plain-text part",
        widget=forms.Textarea(attrs={"rows": 5, "class": "font-monospace"}),
        help_text="Derived from the HTML when empty.",
    )
    rate_per_minute = forms.IntegerField(min_value=1, max_value=10000, initial=60)
    ab_test_share = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=100,
        initial=20,
        label="A/B test share (%)",
        help_text="With two or more variants below: the part of the audience split between "
        "them; the rest gets the winner.",
    )
    ab_metric = forms.ChoiceField(
        required=False, choices=AbMetric.choices, initial=AbMetric.OPEN, label="A/B metric"
    )
    ab_wait_hours = forms.IntegerField(
        required=False, min_value=0, max_value=720, initial=4, label="Waiting period (hours)"
    )
    ab_auto_winner = forms.BooleanField(
        required=False, initial=True, label="Send a declared winner to the rest automatically"
    )
    ab_min_sample = forms.IntegerField(
        required=False, min_value=1, initial=100, label="Minimum delivered per variant"
    )
    ab_min_effect = forms.FloatField(
        required=False,
        min_value=0.001,
        max_value=0.999,
        initial=0.02,
        label="Minimum detectable effect",
        help_text="Absolute change of the rate, 0.02 = 2 percentage points.",
    )
    ab_seed = forms.CharField(
        max_length=64, required=False, label="Split seed", help_text="Defaults to the mailing id."
    )

    def _add_variant_fields(self) -> None:
        for slot in VARIANT_SLOTS:
            key = slot.lower()
            self.fields[f"variant_{key}_subject"] = forms.CharField(
                max_length=300, required=False, label=f"Variant {slot}: subject"
            )
            self.fields[f"variant_{key}_from_name"] = forms.CharField(
                max_length=200, required=False, label=f"Variant {slot}: sender name"
            )
            self.fields[f"variant_{key}_html_body"] = forms.CharField(
                required=False,
                label=f"Variant {slot}: HTML body",
                widget=forms.Textarea(attrs={"rows": 4, "class": "font-monospace"}),
                help_text="Blank fields use the mailing's own." if slot == "A" else "",
            )

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.variant_slots: list[str] = []
        self._add_variant_fields()
        segment_field = self.fields["segment"]
        assert isinstance(segment_field, forms.ModelChoiceField)
        segment_field.queryset = access.restrict(Segment.objects.all(), actor).order_by("name")
        campaign_field = self.fields["campaign"]
        assert isinstance(campaign_field, forms.ModelChoiceField)
        campaign_field.queryset = access.restrict(
            Campaign.objects.all(), actor, Action.EDIT
        ).order_by("name")
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = access.restrict(
            EmailTemplate.objects.filter(is_active=True), actor
        ).order_by("name")
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            field.widget.attrs["class"] = f"{css} {field.widget.attrs.get('class', '')}".strip()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        segment, template = data.pop("segment"), data.pop("template")
        campaign = data.pop("campaign")
        data["campaign_id"] = campaign.pk if campaign else None
        data["segment_id"] = segment.pk if segment else None
        data["template_id"] = template.pk if template else None
        for name in AB_OPTIONAL:
            if data.get(name) in (None, ""):
                data.pop(name, None)  # left empty: the stored value (or the default) stays
        data["variants"], self.variant_slots = self._variants(data)
        return data

    def _variants(self, data: dict[str, Any]) -> tuple[list[dict[str, str]], list[str]]:
        """The filled slots as the service's variants, and which slot each came from (to put
        an error on `variants[i].field` back on its slot)."""
        variants, slots = [], []
        for slot in VARIANT_SLOTS:
            row = {part: data.pop(f"variant_{slot.lower()}_{part}") or "" for part in VARIANT_PARTS}
            if any(row.values()):
                variants.append(row)
                slots.append(slot)
        return variants, slots

    def error_field(self, name: str) -> str | None:
        """The form field showing a service error on `name` (None: a form-wide error)."""
        match = re.fullmatch(r"variants\[(\d+)\]\.(\w+)", name)
        if match and int(match[1]) < len(self.variant_slots):
            return f"variant_{self.variant_slots[int(match[1])].lower()}_{match[2]}"
        target = name.removesuffix("_id")
        return target if target in self.fields else None


class TestSendForm(forms.Form):
    to = forms.EmailField(label="Send a test to")
    contact = forms.IntegerField(required=False, min_value=1, label="As contact (id)")
