"""Forms of the review pages: the queue filter and the merge choices (one radio per field)."""

from typing import Any

from django import forms

from cyclecrm.dataquality.duplicates.merge import MERGE_TYPES


class QueueFilterForm(forms.Form):
    record_type = forms.ChoiceField(
        required=False, choices=[("", "All types"), *((t, t.title()) for t in MERGE_TYPES)]
    )


class MergeForm(forms.Form):
    """`survivor_id` and one `value__<field>` per field naming the record whose value wins."""

    survivor_id = forms.TypedChoiceField(coerce=int)

    def __init__(self, *args: Any, comparison: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        records = comparison["records"]
        ids = [(r["id"], r["name"]) for r in records]
        self.fields["survivor_id"].choices = ids
        if records:
            oldest = min(records, key=lambda r: r["id"])
            self.fields["survivor_id"].initial = oldest["id"]
        self.field_names = []
        for field in comparison["fields"]:
            key = f"value__{field['field']}"
            self.fields[key] = forms.TypedChoiceField(
                coerce=int, choices=ids, initial=field["default_record_id"], required=False
            )
            self.field_names.append(field["field"])

    def choices(self) -> dict[str, int]:
        return {
            name: self.cleaned_data[f"value__{name}"]
            for name in self.field_names
            if self.cleaned_data.get(f"value__{name}")
        }
