"""Forms of the review pages; validation of substance stays in the services."""

from typing import Any

from django import forms

from cyclecrm.advocacy.models import ReviewStatus, ReviewTrigger
from cyclecrm.advocacy.review_selectors import ReviewFilters


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        if isinstance(field.widget, forms.CheckboxInput):
            css = "form-check-input"
        elif isinstance(field, forms.ChoiceField):
            css = "form-select"
        else:
            css = "form-control"
        field.widget.attrs["class"] = f"{css} {field.widget.attrs.get('class', '')}".strip()


class ReviewPolicyForm(forms.Form):
    name = forms.CharField(max_length=200)
    trigger = forms.ChoiceField(choices=ReviewTrigger.choices)
    is_active = forms.BooleanField(required=False, initial=True, label="Active")
    delay_days = forms.IntegerField(
        min_value=0, max_value=3650, initial=0, help_text="Days after the trigger."
    )
    quiet_days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        initial=90,
        help_text="No second request to the same contact within this many days.",
    )
    link_valid_days = forms.IntegerField(min_value=1, max_value=3650, initial=30)
    email_subject = forms.CharField(max_length=200)
    email_intro = forms.CharField(
        required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)


class ReviewFilterForm(forms.Form):
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ReviewStatus.choices])
    rating = forms.TypedChoiceField(
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", "Any rating")] + [(str(n), f"{n} ★") for n in range(1, 6)],
    )
    account = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    product = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)

    def filters(self) -> ReviewFilters:
        data = self.cleaned_data
        return ReviewFilters(
            status=data.get("status") or None,
            rating=data.get("rating"),
            account=data.get("account"),
            product=data.get("product"),
        )


class ReviewLogForm(forms.Form):
    rating = forms.TypedChoiceField(
        coerce=int, choices=[(str(n), f"{n} ★") for n in range(5, 0, -1)]
    )
    title = forms.CharField(required=False, max_length=200)
    text = forms.CharField(max_length=5000, widget=forms.Textarea(attrs={"rows": 4}))
    publish_consent = forms.BooleanField(required=False, label="The customer allows publishing it")
    publish_name = forms.BooleanField(required=False, label="… with their name")
    publish_company = forms.BooleanField(required=False, label="… with their company")
    submitted_at = forms.DateTimeField(
        required=False,
        label="Given on",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _style(self)
