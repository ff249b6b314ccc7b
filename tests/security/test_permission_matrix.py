"""The permission matrix: every record type x every role x every API operation and web route.

For each role the data set holds, per registered record type, a row the role's user owns (the
"own" row) and a row of someone whose records the role may not reach (rep_b's for rep_a, an
outsider's otherwise), hanging on the own rows where it references them, so related lists,
timelines and counts of a visible parent are probed with an invisible child. Which rows the
role may read or change follows from its configured levels (`access.level`), not from a table
here. Then:
- every GET without an id (lists, exports, search with `q`, counts, KPIs, dashboards) and every
  GET on a readable row (sub-lists, timelines, history) must not show an unreadable row's
  marker;
- every operation on an unreadable row's id answers like an id that does not exist (404 for
  reads, updates and deletes), in the API and in the web views, and changes nothing;
- updating or deleting a readable row the role may not change answers 403 and changes nothing;
- reading an own row the role may read answers 200 (so the 404s above are not vacuous).
Failures are collected per role and reported together, one line each.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, models, transaction
from django.test import Client

from cyclecrm.analytics.dashboards import DASHBOARDS
from cyclecrm.core.registry import RecordType, record_types
from cyclecrm.core.testing.factories import make_team, make_token, make_user
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, Team, User
from tests.security.endpoints import (
    KIND_TYPES,
    Operation,
    Route,
    api_operations,
    ui_routes,
)
from tests.security.records import make_record

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "contract" / "openapi.json"
HIDDEN = "Zqh"  # prefix of every marker of a row the role may not read
ROLES = ("admin", "manager", "rep_a", "rep_b", "marketer", "support_agent", "no_role")
# The users whose rows each role may not reach: a sibling team's rep for a rep, else an outsider.
HIDDEN_OWNER = {"rep_a": "rep_b", "rep_b": "rep_a"}


def _schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


@dataclass
class Row:
    rtype: RecordType
    obj: models.Model
    marker: str
    readable: bool
    editable: bool
    deletable: bool


@dataclass
class DataSet:
    user: User
    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    cases: int = 0

    def hidden_markers(self) -> list[str]:
        return [row.marker for row in self.rows if not row.readable]

    def fail(self, message: str) -> None:
        self.failures.append(message)


def _reach(user: User, rtype: RecordType, action: str, own: bool) -> bool:
    """Whether the role's level for `action` reaches the own row (own) or the other row."""
    granted = access.level(user, rtype.key, action)
    if granted == Level.NONE:
        return False
    if rtype.owner_field is None or granted == Level.ALL:
        return True
    return own


def _snapshot(row: Row) -> dict | None:
    model = type(row.obj)
    return model._default_manager.filter(pk=row.obj.pk).values().first()


def _make(rtype: RecordType, owner: User, team: Team | None, marker: str, parents: dict) -> Any:
    try:
        with transaction.atomic():
            return make_record(rtype, owner=owner, team=team, marker=marker, parents=parents)
    except IntegrityError:
        return make_record(rtype, owner=owner, team=team, marker=marker)


def build_data(user: User, other: User) -> DataSet:
    data = DataSet(user)
    own_team = user.teams.order_by("id").first()
    other_team = other.teams.order_by("id").first()
    parents: dict[type[models.Model], models.Model] = {}
    types = list(record_types().values())
    for rtype in types:
        marker = f"Zqv{rtype.key.replace('_', '')}x"
        obj = _make(rtype, user, own_team, marker, {})
        parents[rtype.model] = obj
        data.rows.append(_row(user, rtype, obj, marker, own=True))
    for rtype in types:
        if rtype.owner_field is None:
            continue  # one row suffices: the level reaches every row or none
        marker = f"{HIDDEN}{rtype.key.replace('_', '')}x"
        obj = _make(rtype, other, other_team, marker, parents)
        data.rows.append(_row(user, rtype, obj, marker, own=False))
    return data


def _row(user: User, rtype: RecordType, obj: Any, marker: str, *, own: bool) -> Row:
    return Row(
        rtype=rtype,
        obj=obj,
        marker=marker,
        readable=_reach(user, rtype, Action.READ, own),
        editable=_reach(user, rtype, Action.EDIT, own),
        deletable=_reach(user, rtype, Action.DELETE, own),
    )


# -- probes -----------------------------------------------------------------------------------


def _call(client: Client, method: str, url: str) -> Any:
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, "{}", content_type="application/json")


def _scan(data: DataSet, label: str, response: Any) -> None:
    """The response must not show a row the role may not read."""
    data.cases += 1
    if response.status_code >= 500:
        data.fail(f"{label}: {response.status_code}")
        return
    if response.status_code != 200 or getattr(response, "streaming", False):
        return
    body = response.content.decode(errors="replace")
    for marker in data.hidden_markers():
        if marker in body:
            data.fail(f"{label}: shows the unreadable row {marker}")


def _probe_unreadable(
    data: DataSet, client: Client, method: str, url: str, ghost_url: str, row: Row
) -> None:
    """An unreadable row's id answers like a missing id, with 404 for reads and edits."""
    data.cases += 1
    before = _snapshot(row)
    status = _call(client, method, url).status_code
    if _snapshot(row) != before:
        data.fail(f"{method} {url} [{row.rtype.key} unreadable]: changed the row")
    if status == 404:
        return
    ghost = _call(client, method, ghost_url).status_code
    if status != ghost or status < 400:
        data.fail(f"{method} {url} [{row.rtype.key} unreadable]: {status}, missing id: {ghost}")


def _probe_unchangeable(data: DataSet, client: Client, method: str, url: str, row: Row) -> None:
    """A readable row the role may not update or delete: 403, unchanged."""
    data.cases += 1
    before = _snapshot(row)
    status = _call(client, method, url).status_code
    if _snapshot(row) != before:
        data.fail(f"{method} {url} [{row.rtype.key} read-only]: changed the row ({status})")
    elif status not in (403, 404, 405, 422):
        data.fail(f"{method} {url} [{row.rtype.key} read-only]: {status}, expected 403")


def _ghost_id(row: Row) -> int:
    model = type(row.obj)
    top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
    return top + 1000


def _api_path(operation: Operation, row_id: int) -> str:
    path = operation.path.replace("{" + operation.param + "}", str(row_id), 1)
    return _fill_rest(path)


def _fill_rest(path: str) -> str:
    import re

    return re.sub(r"\{\w+\}", "999999999", path)


def probe_api(data: DataSet, client: Client, operations: list[Operation]) -> None:
    by_type: dict[str, list[Row]] = {}
    for row in data.rows:
        by_type.setdefault(row.rtype.key, []).append(row)
    for operation in operations:
        if operation.type_key is None:
            if operation.method == "GET" and "{" not in operation.path:
                _scan(data, operation.label, client.get(operation.path))
                _scan(data, operation.label + "?q", client.get(operation.path, {"q": HIDDEN}))
            continue
        for row in by_type.get(operation.type_key, []):
            _probe_api_row(data, client, operation, row)


def _probe_api_row(data: DataSet, client: Client, operation: Operation, row: Row) -> None:
    url = _api_path(operation, row.obj.pk)
    # The record's own detail path (`/contacts/{id}`), not a member or code keyed by its id.
    detail = operation.param == "id" and operation.path.endswith("/{id}")
    if not row.readable:
        ghost = _api_path(operation, _ghost_id(row))
        _probe_unreadable(data, client, operation.method, url, ghost, row)
    elif operation.method == "GET":
        response = client.get(url)
        _scan(data, f"GET {url}", response)
        # 422: the generic row does not meet the output schema (not an access answer).
        if detail and response.status_code not in (200, 422):
            data.fail(f"GET {url} [{row.rtype.key} readable]: {response.status_code}")
    elif detail and operation.method == "PATCH" and not row.editable:
        _probe_unchangeable(data, client, "PATCH", url, row)
    elif detail and operation.method == "DELETE" and not row.deletable:
        _probe_unchangeable(data, client, "DELETE", url, row)


def _ui_urls(route: Route, row_id: int, type_key: str) -> list[str]:
    kinds = [type_key] if route.type_key == "*kind" else [""]
    return [route.url(row_id, kind) for kind in kinds]


def probe_ui(data: DataSet, client: Client, routes: list[Route]) -> None:
    for route in routes:
        if route.type_key is None:
            if not route.int_args:
                for url in _list_urls(route):
                    _scan(data, f"GET {url}", client.get(url))
            continue
        for row in data.rows:
            wanted = KIND_TYPES if route.type_key == "*kind" else (route.type_key,)
            if row.rtype.key not in wanted or row.readable:
                continue
            for method in ("GET", "POST"):
                url = route.url(row.obj.pk, row.rtype.key)
                ghost = route.url(_ghost_id(row), row.rtype.key)
                _probe_unreadable(data, client, method, url, ghost, row)


def _list_urls(route: Route) -> list[str]:
    if route.name == "dashboard":
        return [route.url(0, dashboard.slug) for dashboard in DASHBOARDS]
    if route.str_args:
        return []  # public pages keyed by a signed token, or downloads by name
    base = route.url(0)
    return [base, f"{base}?q={HIDDEN}"]


# -- tests ------------------------------------------------------------------------------------


def test_every_endpoint_is_classified(db) -> None:
    """A new API operation or web route with an id must say which record type it acts on."""
    _, unknown_api = api_operations(_schema())
    _, unknown_ui = ui_routes()
    assert not unknown_api, f"classify in tests/security/endpoints.py: {unknown_api}"
    assert not unknown_ui, f"classify in tests/security/endpoints.py: {unknown_ui}"


def test_every_record_type_has_a_row(db) -> None:
    """The generic maker builds a row of every registered type (a new type is covered)."""
    owner = make_user("maker", teams=[make_team("Makers")])
    for rtype in record_types().values():
        row = make_record(rtype, owner=owner, team=None, marker="Zqmaker")
        assert type(row)._default_manager.filter(pk=row.pk).exists(), rtype.key


@pytest.fixture
def role_user(request, teams) -> Callable[[str], User]:
    def get(name: str) -> User:
        if name == "no_role":
            return make_user("no_role", teams=[teams["north"]])
        return request.getfixturevalue(name)

    return get


def _other(role_user: Callable[[str], User], role: str) -> User:
    if role in HIDDEN_OWNER:
        return role_user(HIDDEN_OWNER[role])
    return make_user("outsider", teams=[make_team("Outsiders")])


def _report(role: str, data: DataSet, what: str) -> None:
    print(f"\n{what} matrix, role {role}: {data.cases} cases, {len(data.failures)} failures")
    for failure in data.failures:
        print(f"MATRIX {role}: {failure}")
    assert not data.failures, "\n".join([f"{role}: {len(data.failures)} leaks", *data.failures])


@pytest.mark.parametrize("role", ROLES)
def test_api_matrix(role: str, role_user) -> None:
    user = role_user(role)
    data = build_data(user, _other(role_user, role))
    client = Client(
        headers={"Authorization": f"Bearer {make_token(user)}"}, raise_request_exception=False
    )
    operations, _ = api_operations(_schema())
    probe_api(data, client, operations)
    _report(role, data, "API")


@pytest.mark.parametrize("role", ROLES)
def test_web_matrix(role: str, role_user) -> None:
    user = role_user(role)
    data = build_data(user, _other(role_user, role))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    routes, _ = ui_routes()
    probe_ui(data, client, routes)
    _report(role, data, "Web")
