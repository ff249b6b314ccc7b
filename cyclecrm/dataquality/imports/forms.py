"""Forms of the import pages: the upload, the column mapping with options, saving a mapping."""

from typing import Any

from django import forms

from cyclecrm.dataquality.models import DuplicatePolicy, ImportMode

ENCODINGS = [
    ("", "Detect"),
    ("utf-8", "UTF-8"),
    ("utf-8-sig", "UTF-8 with BOM"),
    ("utf-16", "UTF-16"),
    ("cp1252", "Windows-1252 (Western Europe)"),
    ("latin-1", "ISO-8859-1 (Latin-1)"),
    ("iso-8859-15", "ISO-8859-15 (Latin-9)"),
    ("cp1250", "Windows-1250 (Central Europe)"),
    ("mac_roman", "Mac Roman"),
    ("shift_jis", "Shift JIS"),
]
DELIMITERS = [
    ("", "Detect"),
    (",", "Comma ,"),
    (";", "Semicolon ;"),
    ("\t", "Tab"),
    ("|", "Pipe |"),
]
DATE_ORDERS = [
    ("", "As usual in the phone region"),
    ("dmy", "Day/month/year (31/12/2024)"),
    ("mdy", "Month/day/year (12/31/2024)"),
    ("ymd", "Year-month-day (2024-12-31)"),
]
DECIMAL_SEPARATORS = [("", "Point (default)"), (".", "Point: 1,234.56"), (",", "Comma: 1.234,56")]
# The options the mapping page edits, by form field name (the job's `options` keys).
OPTION_FIELDS = ("default_region", "date_order", "decimal_separator")
IGNORE = ""


def bootstrap(form: forms.Form) -> None:
    """Bootstrap classes on every widget (selects and inputs look like the other pages)."""
    for field in form.fields.values():
        widget = field.widget
        css = "form-select" if isinstance(widget, forms.Select) else "form-control"
        widget.attrs.setdefault("class", css)


class UploadForm(forms.Form):
    record_type = forms.ChoiceField(label="Record type")
    file = forms.FileField(
        label="File",
        help_text="CSV, TSV or TXT in any encoding and delimiter, or an Excel .xlsx workbook.",
    )
    preset = forms.ChoiceField(label="Preset", required=False)
    saved_mapping = forms.TypedChoiceField(
        label="Saved mapping", required=False, coerce=int, empty_value=None
    )
    encoding = forms.ChoiceField(label="Encoding", choices=ENCODINGS, required=False)
    delimiter = forms.ChoiceField(label="Delimiter", choices=DELIMITERS, required=False)
    default_region = forms.CharField(
        label="Default phone region",
        required=False,
        max_length=2,
        help_text="Two-letter country code for phone numbers without +country prefix, e.g. DE.",
    )

    def __init__(
        self,
        *args: Any,
        record_types: list[tuple[str, str]],
        presets: list[tuple[str, str]],
        mappings: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["record_type"].choices = record_types
        self.fields["preset"].choices = [("", "None"), *presets]
        self.fields["saved_mapping"].choices = [("", "None"), *mappings]
        bootstrap(self)

    def clean_default_region(self) -> str:
        return self.cleaned_data["default_region"].strip().upper()

    def options(self) -> dict[str, str]:
        region = self.cleaned_data.get("default_region")
        return {"default_region": region} if region else {}


class MappingForm(forms.Form):
    """One select per source column (`col_<n>`, in header order) plus the options."""

    mode = forms.ChoiceField(label="Mode", choices=ImportMode.choices)
    on_duplicate = forms.ChoiceField(label="Duplicates", choices=DuplicatePolicy.choices)
    default_region = forms.CharField(
        label="Default phone region",
        required=False,
        max_length=2,
        help_text="Two-letter country code, e.g. DE; also sets the usual date order.",
    )
    date_order = forms.ChoiceField(label="Date order", choices=DATE_ORDERS, required=False)
    decimal_separator = forms.ChoiceField(
        label="Decimal separator", choices=DECIMAL_SEPARATORS, required=False
    )

    def __init__(
        self, *args: Any, headers: list[str], targets: list[tuple[str, str]], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.headers = headers
        choices = [(IGNORE, "— do not import —"), *targets]
        for index, header in enumerate(headers):
            self.fields[f"col_{index}"] = forms.ChoiceField(
                label=header or f"Column {index + 1}", choices=choices, required=False
            )
        bootstrap(self)

    @staticmethod
    def initial_for(job: Any, headers: list[str]) -> dict[str, Any]:
        initial: dict[str, Any] = {
            "mode": job.mode,
            "on_duplicate": job.on_duplicate,
            **{name: job.options.get(name, "") for name in OPTION_FIELDS},
        }
        for index, header in enumerate(headers):
            initial[f"col_{index}"] = (job.mapping or {}).get(header, IGNORE)
        return initial

    def column_rows(self) -> list[tuple[int, str, forms.BoundField]]:
        return [(index, header, self[f"col_{index}"]) for index, header in enumerate(self.headers)]

    def mapping(self) -> dict[str, str]:
        return {
            header: self.cleaned_data.get(f"col_{index}") or IGNORE
            for index, header in enumerate(self.headers)
        }

    def options(self, current: dict[str, Any]) -> dict[str, Any]:
        """The job's options with this form's fields set (an emptied field is removed)."""
        options = {key: value for key, value in current.items() if key not in OPTION_FIELDS}
        for name in OPTION_FIELDS:
            value = (self.cleaned_data.get(name) or "").strip()
            if value:
                options[name] = value.upper() if name == "default_region" else value
        return options


class SaveMappingForm(forms.Form):
    name = forms.CharField(label="Mapping name", max_length=100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        bootstrap(self)
