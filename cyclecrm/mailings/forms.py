from typing import Any

from django import forms

from cyclecrm.identity import access
from cyclecrm.identity.models import User
from cyclecrm.integrations.models import EmailTemplate
from cyclecrm.segments.models import Segment

FIELDS = (
    "name", "subject", "segment", "from_name", "from_email", "reply_to", "template",
    "html_body", "text_body", "rate_per_minute",
)  # fmt: skip


class MailingForm(forms.Form):
    name = forms.CharField(max_length=200)
    subject = forms.CharField(
        max_length=300, help_text="Merge fields allowed: {{ contact.first_name }}."
    )
    segment = forms.ModelChoiceField(queryset=Segment.objects.none(), label="Audience segment")
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

    def __init__(self, *args: Any, actor: User, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        segment_field = self.fields["segment"]
        assert isinstance(segment_field, forms.ModelChoiceField)
        segment_field.queryset = access.restrict(Segment.objects.all(), actor).order_by("name")
        template_field = self.fields["template"]
        assert isinstance(template_field, forms.ModelChoiceField)
        template_field.queryset = access.restrict(
            EmailTemplate.objects.filter(is_active=True), actor
        ).order_by("name")
        for field in self.fields.values():
            css = "form-select" if isinstance(field, forms.ChoiceField) else "form-control"
            field.widget.attrs["class"] = f"{css} {field.widget.attrs.get('class', '')}".strip()

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        segment, template = data.pop("segment"), data.pop("template")
        data["segment_id"] = segment.pk if segment else None
        data["template_id"] = template.pk if template else None
        return data


class TestSendForm(forms.Form):
    to = forms.EmailField(label="Send a test to")
    contact = forms.IntegerField(required=False, min_value=1, label="As contact (id)")
