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
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from cyclecrm.core.demo import DemoOptions, demo_build
from cyclecrm.core.testing.factories import make_token
from cyclecrm.identity.models import User

pytestmark = pytest.mark.django_db


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def versioned_writes() -> list[tuple[str, str]]:
    """`(method, path)` of every PATCH and PUT whose body carries `version`."""
    schema = Client().get("/api/v1/openapi.json").json()
    found = []
    for path, operations in schema["paths"].items():
        for method in ("patch", "put"):
            body = operations.get(method, {}).get("requestBody", {})
            json_schema = body.get("content", {}).get("application/json", {}).get("schema")
            if json_schema and "version" in _resolve(schema, json_schema).get("properties", {}):
                found.append((method, path))
    return sorted(found, key=lambda write: write[1])


def versioned_detail_paths() -> list[str]:
    """`/api/v1/<resource>/{id}` of every PATCH whose body carries `version`."""
    return [path for method, path in versioned_writes() if method == "patch"]


@pytest.fixture
def demo_client(settings, tmp_path) -> Client:
    """An administrator's client over the small demo data set (every record type has rows)."""
    settings.DATA_DIR = tmp_path
    demo_build(DemoOptions(contacts=40, accounts=4), log=lambda _line: None)
    admin = User.objects.get(username="admin")
    client = Client(headers={"Authorization": f"Bearer {make_token(admin)}"})
    client.created = {}
    return client


def _first_id(client: Client, list_path: str) -> int:
    return client.get(list_path, {"limit": 1}).json()["items"][0]["id"]


# Record types the demo does not build (webhooks) or builds only in states that may not change
# any more (sent mailings and quotes): one is created through the API.
CREATE_BODIES: dict[str, Callable[[Client], dict[str, Any]]] = {
    "/api/v1/assignment-rules": lambda client: {
        "name": "Round robin",
        "kind": "round_robin",
        "assignee_ids": [_first_id(client, "/api/v1/users")],
    },
    "/api/v1/email-templates": lambda _: {"name": "Hello", "subject": "Hi", "body": "Hello"},
    "/api/v1/mailboxes": lambda _: {
        "name": "Sales",
        "host": "127.0.0.1",
        "username": "sales",
        "password": "secret",
    },
    "/api/v1/price-books": lambda _: {"name": "Europe", "currency": "EUR"},
    "/api/v1/privacy/retention-policies": lambda _: {
        "record_type": "interaction",
        "max_age_days": 3650,
        "action": "delete",
    },
    "/api/v1/webhooks": lambda _: {"url": "https://hooks.example.com/", "events": ["lead.created"]},
    "/api/v1/mailings": lambda _: {"name": "Draft", "subject": "Hello"},
    "/api/v1/quotes": lambda client: {"opportunity": _first_id(client, "/api/v1/opportunities")},
}


def _items(client: Client, list_path: str) -> list[dict[str, Any]]:
    response = client.get(list_path, {"limit": 20})
    assert response.status_code == 200, (list_path, response.content)
    body = response.json()
    return body["items"] if isinstance(body, dict) else body


def _records(client: Client, detail_path: str) -> list[dict[str, Any]]:
    list_path = detail_path.removesuffix("/{id}")
    created = client.created.setdefault(list_path, [])  # once per record type
    if not created and list_path in CREATE_BODIES:
        body = CREATE_BODIES[list_path](client)
        response = client.post(list_path, body, content_type="application/json")
        assert response.status_code == 201, (list_path, response.content)
        created.append(response.json())
    if not created and list_path == "/api/v1/imports":
        created.append(_draft_import(client))
    return created + _items(client, list_path)


# The row field a path parameter names when it is not the row's id.
ROW_KEYS = {"{team_id}": "team_id", "{product_id}": "product"}


def _draft_import(client: Client) -> dict[str, Any]:
    """Imports are created by uploading a file; only a draft (not started) may change."""
    upload = SimpleUploadedFile("people.csv", b"email\nada@example.com\n", "text/csv")
    response = client.post("/api/v1/imports", {"file": upload, "record_type": "contact"})
    assert response.status_code == 201, response.content
    return response.json()


# Children listed inside their parent's detail rather than at a list endpoint of their own.
NESTED_IN_PARENT = {"stages": "stages", "steps": "steps"}


def _targets(client: Client, path: str) -> list[tuple[str, Callable[[], dict[str, Any]]]]:
    """`(url, read)` for rows of the record type behind `path`: `read()` fetches the row as the
    client sees it now (its `version` included)."""
    head, _, last = path.rpartition("/")
    if not last.startswith("{"):  # a set-style PUT of the parent: /pipelines/{id}/stages
        return [(path.replace("{id}", str(row["id"])), _reader(client, head, row["id"], "id"))
                for row in _targets_rows(client, head)]  # fmt: skip
    key = ROW_KEYS.get(last, "id")
    parent, _, child = head.rpartition("/")
    if parent.endswith("}"):  # nested: /pipelines/{id}/stages/{stage_id}
        targets = []
        for owner in _records(client, parent):
            owner_path = parent.replace("{id}", str(owner["id"]))
            if child == "entries" and not _child_rows(client, owner_path, child):
                _put_entry(client, owner_path)
            for row in _child_rows(client, owner_path, child):
                url = f"{owner_path}/{child}/{row[key]}"
                targets.append((url, _child_reader(client, owner_path, child, key, row[key])))
        return targets
    return [(path.replace(last, str(row[key])), _reader(client, head, row[key], key))
            for row in _targets_rows(client, head)]  # fmt: skip


def _targets_rows(client: Client, list_or_detail: str) -> list[dict[str, Any]]:
    return _records(client, list_or_detail + ("" if list_or_detail.endswith("}") else "/{id}"))


def _put_entry(client: Client, owner_path: str) -> None:
    """A price book built above has no entry yet: put the first product in it."""
    url = f"{owner_path}/entries/{_first_id(client, '/api/v1/products')}"
    response = client.put(url, {"unit_price": "10"}, content_type="application/json")
    assert response.status_code == 200, (url, response.content)


def _child_rows(client: Client, owner_path: str, child: str) -> list[dict[str, Any]]:
    if child in NESTED_IN_PARENT:
        return client.get(owner_path).json()[NESTED_IN_PARENT[child]]
    return _items(client, f"{owner_path}/{child}")


def _reader(client: Client, list_path: str, pk: int, key: str) -> Callable[[], dict[str, Any]]:
    list_path = list_path.removesuffix("/{id}")
    return lambda: next(row for row in _items(client, list_path) if row[key] == pk)


def _child_reader(
    client: Client, owner: str, child: str, key: str, pk: int
) -> Callable[[], dict[str, Any]]:
    return lambda: next(row for row in _child_rows(client, owner, child) if row[key] == pk)


def _put_body(path: str, record: dict[str, Any]) -> dict[str, Any]:
    """What a set-style PUT needs besides `version`: the current value, sent back unchanged."""
    if path.endswith("/stages"):
        return {"stage_ids": [stage["id"] for stage in record["stages"]]}
    if "/entries/" in path:
        return {"unit_price": record["unit_price"]}
    return {}


def test_the_schema_has_versioned_record_types():
    writes = versioned_writes()

    assert len(writes) >= 45
    assert ("patch", "/api/v1/contacts/{id}") in writes
    assert ("patch", "/api/v1/pipelines/{id}/stages/{stage_id}") in writes
    assert ("put", "/api/v1/queue-calendars/{team_id}") in writes


def test_a_stale_version_is_refused_on_every_record_type(demo_client):
    failures = []
    for method, path in versioned_writes():
        send = getattr(demo_client, method)
        targets = _targets(demo_client, path)
        if not targets:
            failures.append(f"{method} {path}: the demo data has no row; extend cyclecrm/core/demo")
            continue
        for url, read_now in targets:
            # the first record that may be changed at all (a sent quote may not)
            record = read_now()
            read = record["version"]
            body = (
                {**_put_body(url, record), "version": read}
                if method == "put"
                else {"version": read}
            )
            fresh = send(url, body, content_type="application/json")
            if fresh.status_code == 200:
                break
        stale = send(url, body, content_type="application/json")

        problems = _conflict_problems(fresh, stale, read_now(), read)
        if problems:
            failures.append(f"{method} {url}: {problems}")
    assert not failures, "\n".join(failures)


def _conflict_problems(fresh, stale, after: dict[str, Any], read: int) -> str:
    if fresh.status_code != 200 or fresh.json()["version"] != read + 1:
        return f"a change with the version read gave {fresh.status_code} {fresh.content[:300]!r}"
    if stale.status_code != 409:
        return f"a stale version gave {stale.status_code} {stale.content[:300]!r}"
    error = stale.json()["error"]
    if error["code"] != "version_conflict":
        return f"code {error['code']}"
    if not any(re.search(rf"\b{read + 1}\b", text) for text in error["fields"].get("version", [])):
        return f"the 409 does not name the current version {read + 1}: {error}"
    if after["version"] != read + 1:
        return f"the refused change was written: version {after['version']}"
    return ""
