"""The permission matrix: every record type x every role x every API operation and web route.

For each role the data set (tests/security/matrix.py) holds, per registered record type, a row
the role's user owns (the "own" row) and a row of someone whose records the role may not reach
(rep_b's for rep_a, an outsider's otherwise), hanging on the own rows where it references them,
so related lists, timelines and counts of a visible parent are probed with an invisible child.
Which rows the role may read or change follows from its configured levels (`access.level`),
not from a table here. Then:
- every GET without an id (lists, exports, search with `q`, counts, dashboards) and every GET
  on a readable row (sub-lists, timelines, history) must not show an unreadable row's marker;
- every KPI, grouped by each of its dimensions and filtered by the other user's owner/team/
  campaign/pipeline ids, and every drill-down URL of its answers and of the dashboard panels,
  must not show one either (tests/security/kpis.py);
- every operation on an unreadable row's id answers like an id that does not exist (404 for
  reads, updates and deletes), in the API and in the web views, and changes nothing; writes
  carry a VALID body (tests/security/bodies.py), so a 422 cannot stand in for the check;
- child rows outside the registry (stages, shares, costs, rewards, redemptions...; see
  tests/security/children.py): a child of an unreadable parent, and a child id under a parent
  it does not belong to, answer 404 (or what a missing child answers) and change nothing;
- updating or deleting a readable row the role may not change answers 403 and changes nothing;
- reading an own row the role may read answers 200 (so the 404s above are not vacuous), and
  `test_write_bodies_are_valid` shows the write bodies succeed where the right exists.
Failures are collected per role and reported together, one line each.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.db import models
from django.test import Client

from cyclecrm.analytics.dashboards import DASHBOARDS
from cyclecrm.core.registry import record_types
from cyclecrm.core.testing.factories import make_team, make_token, make_user
from cyclecrm.identity.models import User
from cyclecrm.support.models import BusinessCalendar
from tests.security.bodies import request_body
from tests.security.children import CHILDREN, ChildRows
from tests.security.endpoints import (
    KIND_TYPES,
    Operation,
    Route,
    api_operations,
    ui_routes,
)
from tests.security.kpis import probe_kpis
from tests.security.matrix import (
    ABSENT,
    HIDDEN,
    DataSet,
    Row,
    build_data,
    call,
    ghost_id,
    probe_missing,
    probe_unchangeable,
    scan,
)
from tests.security.records import make_record

SCHEMA_FILE = Path(__file__).resolve().parents[1] / "contract" / "openapi.json"
ROLES = ("admin", "manager", "rep_a", "rep_b", "marketer", "support_agent", "no_role")
# The users whose rows each role may not reach: a sibling team's rep for a rep, else an outsider.
HIDDEN_OWNER = {"rep_a": "rep_b", "rep_b": "rep_a"}


def _schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text())


@dataclass
class Probe:
    """What every probe of one role needs: its data set, client, the schema, the children."""

    data: DataSet
    client: Client
    schema: dict
    children: ChildRows = field(default_factory=ChildRows)
    siblings: dict[str, models.Model] = field(default_factory=dict)

    def child_of(self, kind: str, type_key: str, parent: models.Model) -> models.Model:
        return self.children.of(kind, type_key, parent, self.data.team)

    def sibling(self, type_key: str) -> models.Model:
        """A second row of the type the user owns: the parent of a child that is not theirs."""
        if type_key not in self.siblings:
            rtype = record_types()[type_key]
            self.siblings[type_key] = make_record(
                rtype, owner=self.data.user, team=self.data.team, marker="Zqvsibling"
            )
        return self.siblings[type_key]

    def body(self, operation: Operation, target: models.Model) -> dict | None:
        """A valid request body for a write on `target` (tests/security/bodies.py)."""
        if operation.method == "GET":
            return None
        spec = self.schema["paths"][operation.path][operation.method.lower()]
        return request_body(
            self.schema,
            spec,
            id_of=self.data.own_id,
            version=_written_version(operation, target),
            update=operation.method in ("PATCH", "PUT"),
        )


def _written_version(operation: Operation, target: models.Model) -> int | None:
    """The version a write on `target` must carry: the stored one of the record it writes (read
    again: an earlier probe may have changed it). A team's queue calendar is written through the
    team's path and has none until its first PUT creates it (set-style PUTs, ADR 0037)."""
    if operation.path == "/api/v1/queue-calendars/{team_id}":
        target = BusinessCalendar.objects.filter(team=target).first()
    if target is None or not hasattr(target, "version"):
        return None
    stored = type(target)._default_manager.filter(pk=target.pk).values_list("version", flat=True)
    return stored.first()


def _fill(probe: Probe, operation: Operation, values: dict[str, int]) -> str:
    """The path with `values`, other ids absent, other words their first allowed value."""
    spec = probe.schema["paths"][operation.path][operation.method.lower()]
    words = {
        param["name"]: param["schema"]["enum"][0]
        for param in spec.get("parameters", [])
        if "enum" in param.get("schema", {})
    }

    def value(match: re.Match) -> str:
        name = match.group(1)
        return str(values.get(name, words.get(name, ABSENT)))

    return re.sub(r"\{(\w+)\}", value, operation.path)


def probe_api(probe: Probe, operations: list[Operation]) -> None:
    data, client = probe.data, probe.client
    for operation in operations:
        if operation.child is not None:
            _probe_api_children(probe, operation)
        if operation.type_key is None:
            if operation.method == "GET" and "{" not in operation.path:
                scan(data, operation.label, client.get(operation.path))
                scan(data, operation.label + "?q", client.get(operation.path, {"q": HIDDEN}))
            continue
        for row in data.rows_of(operation.type_key):
            _probe_api_row(probe, operation, row)


def _probe_api_row(probe: Probe, operation: Operation, row: Row) -> None:
    data, method = probe.data, operation.method
    url = _fill(probe, operation, {operation.param: row.obj.pk})
    body = probe.body(operation, row.obj)
    # The record's own detail path (`/contacts/{id}`), not a member or code keyed by its id.
    detail = operation.param == "id" and operation.path.endswith("/{id}")
    if not row.readable:
        ghost = _fill(probe, operation, {operation.param: ghost_id(row)})
        probe_missing(data, probe.client, (method, url, ghost), [row.obj], body)
    elif method == "GET":
        response = probe.client.get(url)
        scan(data, f"GET {url}", response)
        # 422: the generic row does not meet the output schema (not an access answer).
        if detail and response.status_code not in (200, 422):
            data.fail(f"GET {url} [{row.rtype.key} readable]: {response.status_code}")
    elif detail and method == "PATCH" and not row.editable:
        probe_unchangeable(data, probe.client, "PATCH", url, row, body)
    elif detail and method == "DELETE" and not row.deletable:
        probe_unchangeable(data, probe.client, "DELETE", url, row, body)


def _probe_api_children(probe: Probe, operation: Operation) -> None:
    """A child of an unreadable parent, and a child under a parent it does not belong to:
    both answer like a missing child and stay unchanged."""
    kind, method = operation.child, operation.method
    type_key = operation.type_key or CHILDREN[kind].parent
    url_value = CHILDREN[kind].url_value
    for row in probe.data.rows_of(type_key):
        if operation.param is None:  # the child by its own id
            if row.readable:
                continue
            child = probe.child_of(kind, type_key, row.obj)
            url = _fill(probe, operation, {"id": url_value(child)})
            ghost = _fill(probe, operation, {"id": ABSENT})
            watched = [child, row.obj]
        elif row.readable and method == "PUT":
            continue  # an upsert keyed by another record's id: not a child of another parent
        else:
            parent = row.obj if not row.readable else probe.sibling(type_key)
            child = probe.child_of(kind, type_key, parent)
            ids = {operation.param: row.obj.pk}
            url = _fill(probe, operation, {**ids, operation.child_param: url_value(child)})
            ghost = _fill(probe, operation, ids)
            watched = [child, parent]
        body = probe.body(operation, child if hasattr(child, "version") else row.obj)
        request = (method, url, ghost)
        probe_missing(probe.data, probe.client, request, watched, body, strict=not row.readable)


def probe_ui(probe: Probe, routes: list[Route]) -> None:
    data, client = probe.data, probe.client
    for route in routes:
        if route.child is not None:
            _probe_ui_children(probe, route)
        if route.type_key is None:
            if not route.int_args:
                for url in _list_urls(route):
                    scan(data, f"GET {url}", client.get(url))
            continue
        for row in data.rows:
            wanted = KIND_TYPES if route.type_key == "*kind" else (route.type_key,)
            if row.rtype.key not in wanted or row.readable:
                continue
            for method in ("GET", "POST"):
                url = route.url(row.obj.pk, row.rtype.key)
                ghost = route.url(ghost_id(row), row.rtype.key)
                probe_missing(data, client, (method, url, ghost), [row.obj])


def _probe_ui_children(probe: Probe, route: Route) -> None:
    kind = route.child
    nested = route.type_key is not None
    type_key = route.type_key if nested else CHILDREN[kind].parent
    for row in probe.data.rows_of(type_key):
        if row.readable and not nested:
            continue
        parent = row.obj if not row.readable else probe.sibling(type_key)
        child = probe.child_of(kind, type_key, parent)
        url = route.child_url(row.obj.pk, CHILDREN[kind].url_value(child))
        ghost = route.child_url(row.obj.pk, ABSENT)
        watched = [child, parent]
        for method in ("GET", "POST"):
            request = (method, url, ghost)
            probe_missing(probe.data, probe.client, request, watched, strict=not row.readable)


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


def test_every_child_kind_has_a_row(db) -> None:
    """The makers of tests/security/children.py build each child kind the matrix probes."""
    owner = make_user("maker", teams=[make_team("Makers")])
    children = ChildRows()
    for kind, child in CHILDREN.items():
        type_key = "contact" if child.parent == "*" else child.parent
        parent = make_record(record_types()[type_key], owner=owner, team=None, marker="Zqm")
        row = children.of(kind, type_key, parent, None)
        assert type(row)._default_manager.filter(pk=row.pk).exists(), kind


def test_write_bodies_are_valid(admin) -> None:
    """The bodies of the write probes are valid: the admin's update of an own row with them
    succeeds, so a write probe answering 404/403 is a permission answer, not a 422."""
    data = build_data(admin, make_user("outsider", teams=[make_team("Outsiders")]))
    client = Client(
        headers={"Authorization": f"Bearer {make_token(admin)}"}, raise_request_exception=False
    )
    probe = Probe(data, client, _schema())
    refused = []
    for operation in api_operations(probe.schema)[0]:
        if operation.method not in ("PATCH", "PUT") or operation.type_key is None:
            continue
        row = data.rows_of(operation.type_key)[0]
        values = {operation.param: row.obj.pk}
        target = row.obj
        if operation.child is not None:
            target = probe.child_of(operation.child, operation.type_key, row.obj)
            values[operation.child_param] = CHILDREN[operation.child].url_value(target)
        body = probe.body(operation, target if hasattr(target, "version") else row.obj)
        response = call(client, operation.method, _fill(probe, operation, values), body)
        if response.status_code not in (200, 201, 204):
            refused.append(f"{operation.label} {body}: {response.status_code} {response.content}")
    assert not refused, "\n".join(refused)


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
    other = _other(role_user, role)
    data = build_data(user, other)
    client = Client(
        headers={"Authorization": f"Bearer {make_token(user)}"}, raise_request_exception=False
    )
    operations, _ = api_operations(_schema())
    probe_api(Probe(data, client, _schema()), operations)
    web = Client(raise_request_exception=False)
    web.force_login(user)
    probe_kpis(data, client, web, other)
    _report(role, data, "API")


@pytest.mark.parametrize("role", ROLES)
def test_web_matrix(role: str, role_user) -> None:
    user = role_user(role)
    data = build_data(user, _other(role_user, role))
    client = Client(raise_request_exception=False)
    client.force_login(user)
    routes, _ = ui_routes()
    probe_ui(Probe(data, client, _schema()), routes)
    _report(role, data, "Web")
