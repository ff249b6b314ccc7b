"""Forms of the catalog pages. Record forms share `web.records.forms.RecordForm`; the quote and
order builders read their lines straight from the POST (`lines-<n>-<field>`), since the service
is the one judge of every value."""

import re
from typing import Any

from django import forms
from django.http import QueryDict

from cyclecrm.catalog.models import Order, PriceBook, Product, Quote
from cyclecrm.core.errors import CrmError
from cyclecrm.web.records.forms import RecordForm

PRODUCT_FORM_FIELDS = (
    "sku", "name", "category", "vendor", "description", "unit_price", "currency", "tax_percent",
    "is_active",
)  # fmt: skip
LABELS = {
    "sku": "SKU",
    "unit_price": "List price",
    "tax_percent": "Tax %",
    "is_active": "Active (can be quoted)",
    "valid_until": "Valid until",
    "ordered_at": "Ordered at",
}
LINE_FIELDS = (
    "product",
    "description",
    "quantity",
    "unit_price",
    "discount_percent",
    "tax_percent",
)
_LINE_KEY = re.compile(r"^lines-(\d{1,3})-(\w+)$")


class ProductForm(RecordForm):
    model = Product
    field_names = PRODUCT_FORM_FIELDS
    textareas = frozenset({"description"})
    labels = LABELS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The service fills these in: tax 0, the installation's currency.
        for name, hint in (("tax_percent", "Default 0."), ("currency", "ISO-4217 code.")):
            if name in self.fields:
                self.fields[name].required = False
                self.fields[name].help_text = hint

    def service_arguments(self) -> tuple[dict[str, Any], list[str] | None, dict[str, Any] | None]:
        """A new product keeps an explicit price of 0 and an unticked "active" (the base form
        leaves falsy values out on create)."""
        data, tags, custom = super().service_arguments()
        if self.instance is None:
            for name in ("unit_price", "is_active"):
                if name in self.fields and self.cleaned_data.get(name) is not None:
                    data.setdefault(name, self.cleaned_data[name])
        return data, tags, custom


class QuoteForm(RecordForm):
    """Only for the generic record views' needs; quotes are edited in the quote builder."""

    model = Quote
    field_names = ("valid_until", "notes")
    textareas = frozenset({"notes"})
    labels = LABELS


class OrderForm(RecordForm):
    """Only for the generic record views' needs; orders are edited in the order builder."""

    model = Order
    field_names = ("ordered_at",)
    labels = LABELS


class PriceBookForm(forms.ModelForm):
    countries = forms.CharField(
        required=False,
        help_text="ISO codes or names, separated by commas; empty: every country.",
    )

    class Meta:
        model = PriceBook
        fields = ("name", "currency", "countries", "segment", "is_active")
        help_texts = {
            "currency": "ISO-4217 code of every price in the book.",
            "segment": "Customer segment (e.g. Education); empty: every segment.",
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.initial["countries"] = ", ".join(self.instance.countries or [])
        for field in self.fields.values():
            css = (
                "form-check-input"
                if isinstance(field.widget, forms.CheckboxInput)
                else "form-control"
            )
            field.widget.attrs["class"] = css

    def _post_clean(self) -> None:
        """No model validation here: the service normalizes and judges."""

    def service_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class EntryForm(forms.Form):
    product = forms.IntegerField(min_value=1, widget=forms.Select(attrs={"class": "form-select"}))
    unit_price = forms.CharField(
        max_length=40,
        widget=forms.TextInput(attrs={"class": "form-control", "inputmode": "decimal"}),
    )


def add_service_errors(form: forms.Form, exc: CrmError) -> None:
    for name, reasons in (exc.fields or {"non_field": [exc.message]}).items():
        for reason in reasons:
            form.add_error(name if name in form.fields else None, reason)


def posted_lines(data: QueryDict) -> list[dict[str, str]]:
    """The builder's line rows, in the order of their indexes, each as the service reads a line
    (values as typed; blanks mean "use the default")."""
    indexes = sorted({int(match.group(1)) for key in data if (match := _LINE_KEY.match(key))})
    return [
        {name: data.get(f"lines-{index}-{name}", "").strip() for name in LINE_FIELDS}
        for index in indexes
    ]


def is_blank(row: dict[str, str]) -> bool:
    """A row the user has not filled in (a fresh row's default quantity does not count)."""
    return not any(row.get(name) for name in LINE_FIELDS if name != "quantity")
