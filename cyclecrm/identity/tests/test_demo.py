"""`cyclecrm demo`: coherent, valid, reproducible demo data."""

import io

import pytest
from django.core.management import call_command

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.contacts.normalize import normalize_email, normalize_phone
from cyclecrm.core.custom_fields import coerce_value
from cyclecrm.core.demo import DemoOptions, demo_build
from cyclecrm.core.models import CustomField
from cyclecrm.identity.models import Role, Team, User
from cyclecrm.identity.system import SYSTEM_USERNAME

pytestmark = pytest.mark.django_db

SMALL = ["--contacts", "50", "--accounts", "5"]


def demo(*args: str) -> str:
    stdout = io.StringIO()
    call_command("demo", *args, stdout=stdout, stderr=io.StringIO())
    return stdout.getvalue()


def emails() -> list[str]:
    return list(Contact.objects.order_by("id").values_list("email", flat=True))


def test_demo_builds_the_requested_rows_and_prints_the_login():
    output = demo(*SMALL)

    assert Contact.objects.count() == 50
    assert Account.objects.count() == 5
    assert "Log in at http://127.0.0.1:8000 as admin / admin" in output


def test_demo_users_cover_every_built_in_role_in_the_team_tree():
    demo(*SMALL, "--admin-password", "trial pass 1")

    admin = User.objects.get(username="admin")
    sales = Team.objects.get(name="Sales")
    below_sales = set(Team.objects.filter(parent=sales).values_list("name", flat=True))
    assert admin.is_superuser and admin.check_password("trial pass 1")
    assert below_sales == {"North", "South", "West"}
    assert sales.manager.username == "manager"
    assert {"Marketing", "Support"} <= set(Team.objects.values_list("name", flat=True))
    for role in Role.objects.filter(is_builtin=True):
        assert role.users.exists(), role.name


def test_demo_emails_and_phones_are_valid():
    demo(*SMALL)

    contacts = list(Contact.objects.all())
    phones = [phone for c in contacts for phone in (c.phone, c.mobile) if phone]
    phones += [phone for phone in Account.objects.values_list("phone", flat=True) if phone]
    assert all(normalize_email(c.email) == c.email for c in contacts)
    assert len({c.email for c in contacts}) == len(contacts)
    assert phones
    assert all(normalize_phone(phone, region="US") == phone for phone in phones)


def test_demo_is_coherent():
    demo(*SMALL)

    linked = Contact.objects.filter(account__isnull=False).select_related("account", "owner")
    assert linked.exists()
    for contact in linked:
        assert contact.email.endswith("@" + contact.account.domain)
    for contact in Contact.objects.select_related("owner", "team"):
        assert contact.team in contact.owner.teams.all()
        if contact.consent_email:
            assert contact.consent_email_at >= contact.created_at
    assert Contact.objects.filter(tags__isnull=False).exists()


def test_demo_custom_values_are_valid_for_their_definitions():
    demo(*SMALL)

    fields = {(f.record_type, f.key): f for f in CustomField.objects.all()}
    rows = [("contact", c.custom) for c in Contact.objects.all()]
    rows += [("account", a.custom) for a in Account.objects.all()]
    assert ("contact", "preferred_channel") in fields and ("account", "tier") in fields
    for record_type, custom in rows:
        for key, value in custom.items():
            assert coerce_value(fields[(record_type, key)], value) == value


def test_same_seed_gives_the_same_data_and_another_seed_other_data():
    demo(*SMALL, "--seed", "7")
    first = emails()
    Contact.objects.all().delete()
    Account.objects.all().delete()
    demo(*SMALL, "--seed", "7")
    again = emails()
    Contact.objects.all().delete()
    Account.objects.all().delete()
    demo(*SMALL, "--seed", "8")

    assert first == again
    assert emails() != first


def test_if_empty_adds_nothing_the_second_time():
    demo(*SMALL, "--if-empty")
    # The system actor (who records tracked opens and unsubscribes) is not a demo login.
    people = User.objects.exclude(username=SYSTEM_USERNAME)
    counts = (Contact.objects.count(), Account.objects.count(), people.count())

    output = demo(*SMALL, "--if-empty")

    assert counts == (50, 5, 10)
    assert (Contact.objects.count(), Account.objects.count(), people.count()) == counts
    assert "Log in at http://127.0.0.1:8000 as admin / admin" in output


def test_demo_writes_in_batches(monkeypatch):
    sizes = []
    original = Contact.objects.bulk_create

    def spy(rows, **kwargs):
        sizes.append(len(rows))
        return original(rows, **kwargs)

    monkeypatch.setattr(Contact.objects, "bulk_create", spy)
    demo_build(DemoOptions(contacts=23, accounts=3, batch_size=10), log=lambda text: None)

    assert sizes == [10, 10, 3]
