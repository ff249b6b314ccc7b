"""The permission matrix's data set and its primitive probes (see test_permission_matrix.py).

For each role the data set holds, per registered record type, a row the role's user owns (the
"own" row) and a row of someone whose records the role may not reach, hanging on the own rows
where it references them. Which rows the role may read or change follows from its configured
levels (`access.level`), not from a table here.
"""

import json
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, models, transaction
from django.test import Client

from cyclecrm.core.registry import RecordType, record_types
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, Team, User
from tests.security.records import make_record

HIDDEN = "Zqh"  # prefix of every marker of a row the role may not read
ABSENT = 999999999  # an id no row has


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
    team: Team | None = None
    other_team: Team | None = None
    rows: list[Row] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    cases: int = 0

    def hidden_markers(self) -> list[str]:
        return [row.marker for row in self.rows if not row.readable]

    def rows_of(self, type_key: str) -> list[Row]:
        return [row for row in self.rows if row.rtype.key == type_key]

    def own_id(self, type_key: str) -> int | None:
        """The id of the user's own row of a type (`owner`: the user), for request bodies."""
        if type_key in ("owner", "assigned_to", "assignee", "user"):
            return self.user.pk
        own = [row for row in self.rows_of(type_key) if not row.marker.startswith(HIDDEN)]
        return own[0].obj.pk if own else None

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


def snapshot(obj: models.Model) -> dict | None:
    return type(obj)._default_manager.filter(pk=obj.pk).values().first()


def _make(rtype: RecordType, owner: User, team: Team | None, marker: str, parents: dict) -> Any:
    try:
        with transaction.atomic():
            return make_record(rtype, owner=owner, team=team, marker=marker, parents=parents)
    except IntegrityError:
        return make_record(rtype, owner=owner, team=team, marker=marker)


def build_data(user: User, other: User) -> DataSet:
    own_team = user.teams.order_by("id").first()
    other_team = other.teams.order_by("id").first()
    data = DataSet(user, own_team, other_team)
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


def call(client: Client, method: str, url: str, body: dict | None = None) -> Any:
    """GET, or a write with a JSON body (the empty object when no valid body is known)."""
    if method == "GET":
        return client.get(url)
    return client.generic(method, url, json.dumps(body or {}), content_type="application/json")


def scan(data: DataSet, label: str, response: Any) -> None:
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


def probe_missing(
    data: DataSet,
    client: Client,
    request: tuple[str, str, str],
    watched: list[models.Model],
    body: dict | None = None,
    *,
    strict: bool = True,
) -> None:
    """`request` (method, url, the url of a missing id) on a row the user may not reach:
    answered like the missing id, 404 for reads and writes, and nothing in `watched` changes.
    Not `strict`: any answer the missing id gets too will do (an idempotent unlink's
    redirect for a child under a parent it does not belong to)."""
    method, url, ghost_url = request
    data.cases += 1
    before = [snapshot(obj) for obj in watched]
    status = call(client, method, url, body).status_code
    label = f"{method} {url} [{type(watched[0]).__name__} unreachable]"
    if [snapshot(obj) for obj in watched] != before:
        data.fail(f"{label}: changed the row ({status})")
    if status == 404:
        return
    ghost = call(client, method, ghost_url, body).status_code
    if status != ghost or (strict and status < 400):
        data.fail(f"{label}: {status}, missing id: {ghost}")


def probe_unchangeable(
    data: DataSet, client: Client, method: str, url: str, row: Row, body: dict | None
) -> None:
    """A readable row the role may not update or delete: 403, unchanged. With a valid body a
    422 is no excuse: it would mean validation ran before the permission check."""
    data.cases += 1
    before = snapshot(row.obj)
    status = call(client, method, url, body).status_code
    allowed = (403, 404, 405) if body else (403, 404, 405, 422)
    if snapshot(row.obj) != before:
        data.fail(f"{method} {url} [{row.rtype.key} read-only]: changed the row ({status})")
    elif status not in allowed:
        data.fail(f"{method} {url} [{row.rtype.key} read-only]: {status}, expected 403")


def ghost_id(row: Row) -> int:
    model = type(row.obj)
    top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
    return top + 1000
