"""Optimistic concurrency (ADR 0005) over every versioned record type of the API.

The record types are read from the API schema: every PATCH operation whose body has a
`version` property. For each one a record built by `cyclecrm demo` is read from the list
endpoint, changed once with the version read (200, version + 1), then changed again with the
same, now stale, version: 409 `version_conflict` naming the current version, and nothing
written. A record type added later is covered without touching this test; one the demo does
not build fails it.
"""

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from cyclecrm.core.demo import DemoOptions, demo_build
from cyclecrm.core.testing.factories import make_token
from cyclecrm.identity.models import User

pytestmark = pytest.mark.django_db


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def versioned_detail_paths() -> list[str]:
    """`/api/v1/<resource>/{id}` of every PATCH whose body carries `version`."""
    schema = Client().get("/api/v1/openapi.json").json()
    found = []
    for path, operations in schema["paths"].items():
        body = operations.get("patch", {}).get("requestBody", {})
        json_schema = body.get("content", {}).get("application/json", {}).get("schema")
        if json_schema and "version" in _resolve(schema, json_schema).get("properties", {}):
            found.append(path)
    return sorted(found)


@pytest.fixture
def demo_client(settings, tmp_path) -> Client:
    """An administrator's client over the small demo data set (every record type has rows)."""
    settings.DATA_DIR = tmp_path
    demo_build(DemoOptions(contacts=40, accounts=4), log=lambda _line: None)
    admin = User.objects.get(username="admin")
    return Client(headers={"Authorization": f"Bearer {make_token(admin)}"})


def _first_id(client: Client, list_path: str) -> int:
    return client.get(list_path, {"limit": 1}).json()["items"][0]["id"]


# Record types the demo does not build (webhooks) or builds only in states that may not change
# any more (sent mailings and quotes): one is created through the API.
CREATE_BODIES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "/api/v1/webhooks": lambda _: {"url": "https://hooks.example.com/", "events": ["lead.created"]},
    "/api/v1/mailings": lambda _: {"name": "Draft", "subject": "Hello"},
    "/api/v1/quotes": lambda client: {"opportunity": _first_id(client, "/api/v1/opportunities")},
}


def _records(client: Client, detail_path: str) -> list[dict[str, Any]]:
    list_path = detail_path.removesuffix("/{id}")
    created = []
    if list_path in CREATE_BODIES:
        body = CREATE_BODIES[list_path](client)
        response = client.post(list_path, body, content_type="application/json")
        assert response.status_code == 201, (list_path, response.content)
        created.append(response.json())
    response = client.get(list_path, {"limit": 20})
    assert response.status_code == 200, (list_path, response.content)
    items = created + response.json()["items"]
    assert items, f"the demo data has no row for {list_path}: extend cyclecrm/core/demo"
    return items


def test_the_schema_has_versioned_record_types():
    paths = versioned_detail_paths()

    assert len(paths) >= 20
    assert "/api/v1/contacts/{id}" in paths


def test_a_stale_version_is_refused_on_every_record_type(demo_client):
    failures = []
    for detail_path in versioned_detail_paths():
        for record in _records(demo_client, detail_path):
            # the first record that may be changed at all (a sent quote may not)
            url = detail_path.replace("{id}", str(record["id"]))
            read = record["version"]
            fresh = demo_client.patch(url, {"version": read}, content_type="application/json")
            if fresh.status_code == 200:
                break
        stale = demo_client.patch(url, {"version": read}, content_type="application/json")
        after = demo_client.get(url)

        problems = _conflict_problems(fresh, stale, after, read)
        if problems:
            failures.append(f"{url}: {problems}")
    assert not failures, "\n".join(failures)


def _conflict_problems(fresh, stale, after, read: int) -> str:
    if fresh.status_code != 200 or fresh.json()["version"] != read + 1:
        return f"a change with the version read gave {fresh.status_code} {fresh.content[:300]!r}"
    if stale.status_code != 409:
        return f"a stale version gave {stale.status_code} {stale.content[:300]!r}"
    error = stale.json()["error"]
    if error["code"] != "version_conflict":
        return f"code {error['code']}"
    if not any(re.search(rf"\b{read + 1}\b", text) for text in error["fields"].get("version", [])):
        return f"the 409 does not name the current version {read + 1}: {error}"
    if after.json()["version"] != read + 1:
        return f"the refused change was written: version {after.json()['version']}"
    return ""
