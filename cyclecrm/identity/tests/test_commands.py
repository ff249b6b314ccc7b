"""`cyclecrm user` and `cyclecrm token`: thin wrappers over the identity services."""

import io
import re
import sys

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from cyclecrm.core.testing.factories import make_user
from cyclecrm.identity.models import ApiToken, Team, User
from cyclecrm.identity.tokens import token_digest

pytestmark = pytest.mark.django_db

PASSWORD = "a much better passphrase 7"
TOKEN = re.compile(r"^ccrm_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$")


def run(*args: str) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command(*args, stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_user_create_with_a_new_team(teams):
    stdout, stderr = run(
        "user", "create", "carol", "--role", "sales_rep", "--team", "East", "--password", PASSWORD
    )

    carol = User.objects.get(username="carol")
    assert stdout == ""
    assert "Created user carol" in stderr
    assert list(carol.roles.values_list("name", flat=True)) == ["sales_rep"]
    assert list(carol.teams.values_list("name", flat=True)) == ["East"]
    assert carol.check_password(PASSWORD)
    assert not carol.is_superuser


def test_user_create_joins_an_existing_team_and_makes_a_superuser(teams):
    run(
        "user", "create", "root", "--role", "admin", "--team", "north", "--password", PASSWORD,
        "--email", "Root@Example.com", "--superuser",
    )  # fmt: skip

    root = User.objects.get(username="root")
    assert list(root.teams.all()) == [teams["north"]]
    assert root.is_superuser and root.email == "root@example.com"
    assert Team.objects.filter(name__iexact="north").count() == 1


def test_user_create_with_an_unknown_role_fails_and_creates_nothing(teams):
    with pytest.raises(CommandError, match="Unknown role wizard"):
        run(
            "user", "create", "dan", "--role", "wizard", "--team", "Wizards", "--password", PASSWORD
        )

    assert not User.objects.filter(username="dan").exists()
    assert not Team.objects.filter(name="Wizards").exists()


def test_user_create_rolls_the_new_team_back_when_the_user_fails(rep_a):
    with pytest.raises(CommandError, match="already exists"):
        run(
            "user",
            "create",
            "rep_a",
            "--role",
            "sales_rep",
            "--team",
            "Ghosts",
            "--password",
            PASSWORD,
        )

    assert not Team.objects.filter(name="Ghosts").exists()


def test_user_create_refuses_a_weak_password(teams):
    with pytest.raises(CommandError, match="password"):
        run("user", "create", "weak", "--role", "sales_rep", "--password", "123")

    assert not User.objects.filter(username="weak").exists()


def test_user_create_without_password_off_a_terminal_fails_clearly(teams, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO(""))

    with pytest.raises(CommandError, match="stdin is not a terminal"):
        run("user", "create", "erin", "--role", "sales_rep")


def test_user_create_prompts_twice_on_a_terminal(teams, monkeypatch):
    answers = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    run("user", "create", "erin", "--role", "sales_rep")

    assert User.objects.get(username="erin").check_password(PASSWORD)


def test_user_create_stops_when_the_prompted_passwords_differ(teams, monkeypatch):
    answers = iter([PASSWORD, PASSWORD + "x"])
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True, raising=False)
    monkeypatch.setattr("getpass.getpass", lambda prompt: next(answers))

    with pytest.raises(CommandError, match="do not match"):
        run("user", "create", "erin", "--role", "sales_rep")


def test_token_create_prints_only_a_working_token(rep_a):
    stdout, _ = run("token", "create", "rep_a", "--scope", "write", "--name", "ERP")

    secret = stdout.strip()
    row = ApiToken.objects.get(user=rep_a)
    response = Client().get("/api/v1/users/me", headers={"Authorization": f"Bearer {secret}"})
    assert TOKEN.match(stdout)
    assert row.token_hash == token_digest(secret)
    assert (row.name, row.scope, row.expires_at) == ("ERP", "write", None)
    assert response.status_code == 200
    assert response.json()["user"]["username"] == "rep_a"


def test_token_create_defaults_to_read_and_may_expire(rep_a):
    run("token", "create", "rep_a", "--expires-days", "30")

    row = ApiToken.objects.get(user=rep_a)
    assert row.scope == "read"
    assert 29 <= (row.expires_at - row.created_at).days <= 30


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["token", "create", "nobody"], "No user named 'nobody'"),
        (["token", "create", "rep_a", "--scope", "admin"], "invalid choice: 'admin'"),
        (["token", "create", "rep_a", "--expires-days", "0"], "positive"),
        (["token", "revoke", "abcdef123456"], "No token with prefix"),
    ],
)
def test_token_command_errors(rep_a, args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)

    assert not ApiToken.objects.exists()


def test_token_revoke_by_prefix_or_whole_token(teams):
    user = make_user("ivy")
    first = run("token", "create", "ivy")[0].strip()
    second = run("token", "create", "ivy")[0].strip()

    _, stderr = run("token", "revoke", first.split("_")[1])
    run("token", "revoke", second)

    rows = ApiToken.objects.filter(user=user)
    assert "Revoked token" in stderr
    assert [row.revoked_at is not None for row in rows] == [True, True]
    response = Client().get("/api/v1/users/me", headers={"Authorization": f"Bearer {first}"})
    assert response.status_code == 401
