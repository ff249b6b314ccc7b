"""pytest fixtures shared by every app: one user per built-in role, in a small team tree.

Sales (managed by `manager`)
├── North: rep_a
└── South: rep_b
Marketing: marketer;  Support: support_agent;  admin: role admin (not a superuser)
"""

from collections.abc import Callable

import pytest
from django.test import Client

from cyclecrm.core.testing.factories import make_team, make_token, make_user
from cyclecrm.identity.models import Team, TokenScope, User


@pytest.fixture(autouse=True)
def _private_cache(settings) -> None:
    """An in-memory cache emptied for each test: the KPI cache keys on record ids, which test
    databases reuse (and the SQLite and PostgreSQL runs of CI share one checkout)."""
    settings.CACHES = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "tests"}
    }
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    """Argon2 is slow on purpose (about 0.1 s a hash): the fixtures create up to six users a
    test, so tests hash with MD5. Production settings keep Argon2 (config/settings.py)."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def teams(db) -> dict[str, Team]:
    sales = make_team("Sales")
    return {
        "sales": sales,
        "north": make_team("North", parent=sales),
        "south": make_team("South", parent=sales),
        "marketing": make_team("Marketing"),
        "support": make_team("Support"),
    }


@pytest.fixture
def admin(teams) -> User:
    return make_user("admin", role="admin", email="admin@example.com")


@pytest.fixture
def manager(teams) -> User:
    user = make_user("manager", role="manager", teams=[teams["sales"]])
    Team.objects.filter(pk=teams["sales"].pk).update(manager=user)
    return user


@pytest.fixture
def rep_a(teams) -> User:
    return make_user("rep_a", role="sales_rep", teams=[teams["north"]])


@pytest.fixture
def rep_b(teams) -> User:
    return make_user("rep_b", role="sales_rep", teams=[teams["south"]])


@pytest.fixture
def marketer(teams) -> User:
    return make_user("marketer", role="marketer", teams=[teams["marketing"]])


@pytest.fixture
def support_agent(teams) -> User:
    return make_user("support", role="support_agent", teams=[teams["support"]])


@pytest.fixture
def api_client() -> Callable[..., Client]:
    """`api_client(user, scope="write")` gives a client sending that user's bearer token."""

    def build(user: User, scope: str = TokenScope.WRITE) -> Client:
        return Client(headers={"Authorization": f"Bearer {make_token(user, scope)}"})

    return build


@pytest.fixture
def web_client() -> Callable[[User], Client]:
    """`web_client(user)` gives a client logged in to the web UI as that user."""

    def build(user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return build
