"""What the detail page offers to copy: the HTML snippet to paste into another site, and a curl
example of the JSON endpoint. Both are built from the form's current fields."""

import json
import shlex
from typing import Any

from django.template.loader import render_to_string

from cyclecrm.leads.capture.fields import (
    CONSENT_FIELD,
    FIELD_SPECS,
    HONEYPOT_FIELD,
    UTM_FIELDS,
)
from cyclecrm.leads.models import CaptureForm


def field_rows(
    form: CaptureForm,
    values: dict[str, Any] | None = None,
    errors: dict[str, list[str]] | None = None,
) -> list[dict[str, Any]]:
    """The visible inputs of the form, for the public page and the snippet."""
    values = values or {}
    errors = errors or {}
    rows = []
    for name in form.fields:
        spec = FIELD_SPECS.get(name)
        if spec is None:
            continue
        rows.append(
            {
                "name": name,
                "label": spec.label,
                "type": spec.input_type,
                "max_length": spec.max_length,
                "autocomplete": spec.autocomplete,
                "choices": spec.choices,
                "required": name in form.required_fields,
                "value": values.get(name, ""),
                "errors": errors.get(name, []),
            }
        )
    return rows


def embed_snippet(form: CaptureForm, action_url: str) -> str:
    """A plain HTML form posting to the public page: no script, no style sheet needed. The
    honeypot is moved off-screen with an inline style, since the host page lacks our CSS."""
    return render_to_string(
        "leads/capture/embed_snippet.html",
        {
            "form": form,
            "action_url": action_url,
            "rows": field_rows(form),
            "honeypot": HONEYPOT_FIELD,
            "utm_fields": UTM_FIELDS,
            "consent_field": CONSENT_FIELD,
        },
    ).strip()


def example_payload(form: CaptureForm) -> dict[str, Any]:
    payload: dict[str, Any] = {name: FIELD_SPECS[name].example for name in form.fields}
    if form.consent_text:
        payload[CONSENT_FIELD] = True
    payload["utm_source"] = "newsletter"
    return payload


def curl_example(submit_url: str, form: CaptureForm) -> str:
    body = json.dumps(example_payload(form), indent=2)
    return (
        f"curl -X POST {shlex.quote(submit_url)} \\\n"
        "  -H 'Content-Type: application/json' \\\n"
        f"  -d {shlex.quote(body)}"
    )
