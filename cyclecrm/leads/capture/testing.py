"""Test helpers for capture forms: a factory (plain ORM insert, like core's factories) and the
client calls tests repeat."""

import itertools
import json
from typing import Any

from django.test import Client
from django.test.client import MULTIPART_CONTENT

from cyclecrm.leads.models import CaptureForm

_seq = itertools.count(1)


def make_capture_form(**fields: Any) -> CaptureForm:
    n = next(_seq)
    fields.setdefault("name", f"Contact us {n}")
    fields.setdefault("public_key", f"testkey{n}")
    fields.setdefault("fields", ["first_name", "last_name", "email", "company", "country"])
    fields.setdefault("required_fields", ["email"])
    return CaptureForm.objects.create(**fields)


def submit_json(
    form_or_key: CaptureForm | str,
    data: Any,
    *,
    ip: str = "203.0.113.7",
    client: Client | None = None,
):
    key = form_or_key.public_key if isinstance(form_or_key, CaptureForm) else form_or_key
    return (client or Client()).post(
        f"/api/v1/forms/{key}/submit",
        data=json.dumps(data),
        content_type="application/json",
        REMOTE_ADDR=ip,
    )


def submit_page(form: CaptureForm, data: dict[str, Any], *, ip: str = "203.0.113.7", **extra: Any):
    client = Client(enforce_csrf_checks=True)
    return client.post(
        f"/f/{form.public_key}/", data=data, content_type=MULTIPART_CONTENT, REMOTE_ADDR=ip, **extra
    )
