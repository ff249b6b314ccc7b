import pytest

from cyclecrm.contacts.models import Contact
from cyclecrm.core.testing.factories import make_contact, make_team, make_user
from cyclecrm.identity import access
from cyclecrm.identity.models import RecordShare, Role


@pytest.fixture
def hide_birth_date(db) -> Role:
    return Role.objects.create(
        name="no_birthdays",
        label="No birthdays",
        permissions={"contact": {"read": "all"}},
        field_rules={"contact": {"birth_date": "hidden", "title": "read"}},
    )


def test_levels_of_builtin_roles(admin, manager, rep_a, marketer, support_agent):
    assert access.level(admin, "contact", "delete") == "all"
    assert access.level(manager, "contact", "edit") == "team"
    assert access.level(rep_a, "contact", "read") == "own"
    assert access.level(marketer, "contact", "export") == "all"
    assert access.level(marketer, "contact", "create") == "none"
    assert access.level(support_agent, "account", "read") == "all"
    assert access.level(support_agent, "account", "edit") == "none"


def test_team_level_reaches_nested_teams_and_team_roles(teams, rep_a):
    deep = make_team("Deep", parent=teams["north"])
    deep_rep = make_user("deep_rep", role="sales_rep", teams=[deep])
    lead = make_user("north_lead", teams=[teams["north"]])
    teams["north"].roles.add(Role.objects.get(name="manager"))
    access.forget_access(lead)
    in_deep = make_contact(owner=deep_rep)
    by_rep_a = make_contact(owner=rep_a)
    elsewhere = make_contact(owner=make_user(teams=[teams["south"]]))
    visible = set(access.restrict(Contact.objects.all(), lead))
    assert visible == {in_deep, by_rep_a}
    assert elsewhere not in visible


def test_team_level_matches_record_team_even_when_owner_left(manager, teams):
    orphan = make_contact(owner=None, team=teams["south"])
    assert access.can(manager, "edit", orphan)


def test_most_permissive_role_wins(rep_a, rep_b):
    theirs = make_contact(owner=rep_b)
    assert not access.can(rep_a, "read", theirs)
    rep_a.roles.add(Role.objects.get(name="marketer"))
    access.forget_access(rep_a)
    assert access.can(rep_a, "read", theirs)
    assert not access.can(rep_a, "edit", theirs)


def test_field_rules_merge_most_permissive(hide_birth_date, teams):
    only_restricted = make_user(teams=[teams["north"]])
    only_restricted.roles.add(hide_birth_date)
    both = make_user(teams=[teams["north"]])
    both.roles.add(hide_birth_date, Role.objects.get(name="sales_rep"))
    assert access.access_for(only_restricted).hidden_fields("contact") == {"birth_date"}
    assert access.access_for(only_restricted).readonly_fields("contact") == {"birth_date", "title"}
    assert access.access_for(both).hidden_fields("contact") == frozenset()


def test_share_with_team_grants_read_not_edit(rep_a, rep_b, teams):
    contact = make_contact(owner=rep_a)
    share = RecordShare.objects.create(
        record_type="contact", object_id=contact.pk, team=teams["south"]
    )
    assert access.can(rep_b, "read", contact)
    assert not access.can(rep_b, "edit", contact)
    share.can_edit = True
    share.save()
    assert access.can(rep_b, "edit", contact)


def test_inactive_user_sees_nothing(rep_a):
    contact = make_contact(owner=rep_a)
    rep_a.is_active = False
    access.forget_access(rep_a)
    assert not access.can(rep_a, "read", contact)


def test_explain_says_why(rep_a, rep_b):
    contact = make_contact(owner=rep_a)
    lines = access.explain(rep_b, contact)
    read_line = next(line for line in lines if line.startswith("read:"))
    assert "DENIED" in read_line
    assert "sales_rep=own" in read_line
    assert "does not own it" in read_line
    lines = access.explain(rep_a, contact)
    assert "ALLOWED" in next(line for line in lines if line.startswith("read:"))


def test_user_records_follow_user_levels(rep_a, rep_b, admin):
    from cyclecrm.identity.models import User

    assert set(access.restrict(User.objects.all(), rep_a)) >= {rep_a, rep_b, admin}
    assert access.level(rep_a, "user", "edit") == "none"
