"""Factories for tests: plain ORM inserts with realistic defaults (no permission checks), so a
test can set up any state; the behaviour under test then goes through services and selectors."""

import itertools
from typing import Any

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.identity.models import Role, Team, TokenScope, User
from cyclecrm.identity.services import token_create

_seq = itertools.count(1)


def make_user(
    username: str | None = None, *, role: str | None = None, teams: list[Team] = (), **fields: Any
) -> User:
    username = username or f"user{next(_seq)}"
    user = User.objects.create_user(username=username, password="correct horse battery", **fields)
    if role:
        user.roles.add(Role.objects.get(name=role))
    if teams:
        user.teams.add(*teams)
    return user


def make_team(name: str | None = None, **fields: Any) -> Team:
    return Team.objects.create(name=name or f"Team {next(_seq)}", **fields)


def make_account(owner: User | None = None, **fields: Any) -> Account:
    n = next(_seq)
    fields.setdefault("name", f"Account {n}")
    team = fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)
    return Account.objects.create(owner=owner, team=team, created_by=owner, **fields)


def make_contact(owner: User | None = None, **fields: Any) -> Contact:
    n = next(_seq)
    fields.setdefault("first_name", "Ada")
    fields.setdefault("last_name", f"Lovelace{n}")
    fields.setdefault("email", f"ada{n}@example.com")
    team = fields.pop("team", None) or (owner.teams.order_by("id").first() if owner else None)
    return Contact.objects.create(owner=owner, team=team, created_by=owner, **fields)


def make_token(user: User, scope: str = TokenScope.WRITE) -> str:
    _, secret = token_create(actor=None, user=user, name="test", scope=scope)
    return secret
