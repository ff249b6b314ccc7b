"""Web forms: compose an e-mail, edit a mailbox, edit a template. Validation beyond the field
types is the services' (their errors are shown next to the fields)."""

from typing import Any

from django import forms

from cyclecrm.integrations.models import EmailTemplate, MailboxPurpose, MailboxSecurity


class EmailComposeForm(forms.Form):
    to = forms.CharField(max_length=2000, help_text="Separate several addresses with commas.")
    cc = forms.CharField(max_length=2000, required=False, label="Cc")
    template = forms.ModelChoiceField(
        queryset=EmailTemplate.objects.none(), required=False, empty_label="— no template —"
    )
    subject = forms.CharField(max_length=300, required=False)
    body = forms.CharField(widget=forms.Textarea(attrs={"rows": 8}), max_length=50000)

    def __init__(self, *args: Any, templates: Any = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if templates is not None:
            self.fields["template"].queryset = templates
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            field.widget.attrs.setdefault("class", css)

    def service_data(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "to": data["to"],
            "cc": data["cc"],
            "subject": data["subject"],
            "body": data["body"],
            "template": data["template"].pk if data["template"] else None,
        }


class MailboxForm(forms.Form):
    name = forms.CharField(max_length=100)
    host = forms.CharField(max_length=253, help_text="e.g. imap.gmail.com, outlook.office365.com")
    security = forms.ChoiceField(choices=MailboxSecurity.choices, initial=MailboxSecurity.SSL)
    port = forms.IntegerField(
        min_value=1, max_value=65535, required=False, help_text="Empty: 993 for SSL, else 143."
    )
    username = forms.CharField(max_length=254)
    password = forms.CharField(
        widget=forms.PasswordInput(render_value=False),
        required=False,
        max_length=1000,
        help_text="Stored encrypted. Leave empty to keep the stored one.",
    )
    password_env = forms.CharField(
        max_length=100,
        required=False,
        label="Password from environment variable",
        help_text="Instead of a stored password: the name of a variable the server sets.",
    )
    folder = forms.CharField(max_length=200, initial="INBOX")
    purpose = forms.ChoiceField(choices=MailboxPurpose.choices)
    create_leads_from_unknown = forms.BooleanField(
        required=False, label="Create a lead from mail of unknown senders (sales mailboxes)"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Poll this mailbox")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if isinstance(field.widget, forms.CheckboxInput):
                field.widget.attrs.setdefault("class", "form-check-input")
            elif isinstance(field.widget, forms.Select):
                field.widget.attrs.setdefault("class", "form-select")
            else:
                field.widget.attrs.setdefault("class", "form-control")

    def service_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        if not data.get("password"):
            data.pop("password", None)
        return data


class EmailTemplateForm(forms.Form):
    name = forms.CharField(max_length=100)
    subject = forms.CharField(max_length=300)
    body = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 10}),
        max_length=50000,
        help_text="Merge fields: {{ contact.first_name }}, {{ account.name }}, {{ lead.company }}, "
        "{{ opportunity.name }}, {{ case.number }}, {{ sender.full_name }}, {{ base_url }}.",
    )
    is_marketing = forms.BooleanField(
        required=False, label="Marketing mail (only to contacts who consented)"
    )
    is_active = forms.BooleanField(required=False, initial=True, label="Active")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxInput)
                else "form-control"
            )
            field.widget.attrs.setdefault("class", css)
