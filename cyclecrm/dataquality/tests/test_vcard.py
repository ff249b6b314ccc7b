"""vCard 3.0/4.0: export, import through the contact rules, round trips, the sample files."""

import datetime as dt
from pathlib import Path

import pytest
import vobject
from django.core.management import call_command
from django.urls import reverse

from cyclecrm.contacts.models import Account, Contact
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.dataquality.interchange.services import vcard_import
from cyclecrm.dataquality.interchange.vcard import contact_card, parse_cards

SAMPLES = Path("/work/shared/data/contact_validation/vcard")
COMPARED = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "mobile",
    "title",
    "street",
    "city",
    "region",
    "postal_code",
    "country",
    "birth_date",
    "notes",
)


def _full_contact(owner):
    account = make_account(owner, name="Acme, Inc.")
    return make_contact(
        owner,
        first_name="Zoë",
        last_name="O'Brien; Jr",
        email="zoe@example.com",
        other_emails=["zoe@home.example"],
        phone="+4930123456",
        mobile="+4915112345678",
        title="CTO",
        account=account,
        street="Hauptstraße 1, Hof",
        city="Berlin",
        region="BE",
        postal_code="10115",
        country="DE",
        birth_date=dt.date(1980, 2, 3),
        notes="Line one: with, punctuation; and more",
        external_id="crm-42",
    )


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["3.0", "4.0"])
def test_round_trip_gives_the_same_contact(admin, version):
    original = _full_contact(admin)
    text = contact_card(original, version)
    assert vobject.readOne(text).version.value == version
    Contact.objects.filter(pk=original.pk).update(external_id="moved")  # import creates anew
    result = vcard_import(actor=admin, text=text.replace("crm-42", "crm-43"))
    assert result.stored and not result.problems, result.problems
    (copy_id,) = result.created
    copy = Contact.objects.get(pk=copy_id)
    for name in COMPARED:
        assert getattr(copy, name) == getattr(original, name), name
    assert copy.other_emails == original.other_emails
    assert copy.account_id == original.account_id  # ORG found the account by name
    assert copy.external_id == "crm-43"


@pytest.mark.django_db
def test_reimport_by_uid_updates_instead_of_duplicating(admin):
    contact = _full_contact(admin)
    text = contact_card(contact, "4.0").replace("CTO", "CEO")
    result = vcard_import(actor=admin, text=text)
    assert result.updated == [contact.pk] and result.created == []
    contact.refresh_from_db()
    assert contact.title == "CEO"
    assert Contact.objects.count() == 1


@pytest.mark.django_db
def test_every_sample_file_parses_and_imports(admin):
    files = sorted(SAMPLES.glob("*.vcf"))
    assert len(files) == 13
    people = 0
    for path in files:
        for card in parse_cards(path.read_text(encoding="utf-8")):
            assert card.number >= 1
            if not card.problems:
                people += 1
                assert card.data["last_name"]
        text = path.read_text(encoding="utf-8")
        result = vcard_import(actor=admin, text=text, all_or_nothing=False)
        assert result.cards >= 1
        for problem in result.problems:
            assert problem.card >= 1 and problem.reason
    assert people >= 9
    frank = Contact.objects.get(last_name="Dawson")
    assert frank.email == "frank_dawson@lotus.com"
    assert frank.account.name == "Lotus Development Corporation"
    assert Contact.objects.get(last_name="Perreault").mobile == "+14182626501"


@pytest.mark.django_db
def test_problems_name_the_card_and_store_nothing(admin):
    good = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Good;Gina;;;\r\nFN:Gina Good\r\nEND:VCARD\r\n"
    bad = (
        "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Bad;Bo;;;\r\nFN:Bo Bad\r\n"
        "EMAIL:not-an-email\r\nEND:VCARD\r\n"
    )
    nameless = "BEGIN:VCARD\r\nVERSION:3.0\r\nEMAIL:x@example.com\r\nEND:VCARD\r\n"
    result = vcard_import(actor=admin, text=good + bad + nameless)
    assert not result.stored
    assert {(p.card, p.field) for p in result.problems} == {(2, "email"), (3, "")}
    assert not Contact.objects.exists()
    partial = vcard_import(actor=admin, text=good + bad + nameless, all_or_nothing=False)
    assert partial.stored and len(partial.created) == 1
    assert list(Contact.objects.values_list("last_name", flat=True)) == ["Good"]


@pytest.mark.django_db
def test_garbage_is_a_problem_not_a_crash(admin):
    result = vcard_import(actor=admin, text="hello\nworld")
    assert result.problems and not result.stored


@pytest.mark.django_db
def test_import_needs_the_create_right(api_client, support_agent):
    card = "BEGIN:VCARD\r\nVERSION:3.0\r\nN:X;Y;;;\r\nFN:Y X\r\nEND:VCARD\r\n"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("a.vcf", card.encode(), content_type="text/vcard")
    response = api_client(support_agent).post("/api/v1/exports/vcard", {"file": upload})
    assert response.status_code == 403
    assert not Contact.objects.exists()


@pytest.mark.django_db
def test_api_import_and_exports(api_client, admin, rep_a):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = api_client(admin)
    contact = _full_contact(admin)
    one = client.get(f"/api/v1/contacts/{contact.pk}/vcard?version=4.0")
    assert one.status_code == 200 and one["Content-Type"].startswith("text/vcard")
    assert vobject.readOne(one.content.decode()).fn.value == "Zoë O'Brien; Jr"
    assert client.get(f"/api/v1/contacts/{contact.pk}/vcard?version=2.1").status_code == 422
    make_contact(admin, last_name="Second")
    many = client.get("/api/v1/contacts/vcard?q=Second")
    cards = list(vobject.readComponents(b"".join(many.streaming_content).decode()))
    assert [card.n.value.family for card in cards] == ["Second"]
    upload = SimpleUploadedFile("x.vcf", one.content, content_type="text/vcard")
    Contact.objects.filter(pk=contact.pk).delete()
    imported = client.post("/api/v1/exports/vcard", {"file": upload})
    assert imported.status_code == 200, imported.content
    assert len(imported.json()["created"]) == 1
    assert api_client(rep_a).get(f"/api/v1/contacts/{contact.pk}/vcard").status_code == 404


@pytest.mark.django_db
def test_web_pages(web_client, admin, tmp_path):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = web_client(admin)
    contact = _full_contact(admin)
    detail = client.get(reverse("contact_detail", args=[contact.pk])).content.decode()
    assert reverse("contact_vcard", args=[contact.pk]) in detail
    card = client.get(reverse("contact_vcard", args=[contact.pk]) + "?version=3.0")
    assert card.status_code == 200
    upload = SimpleUploadedFile("x.vcf", card.content.replace(b"crm-42", b"crm-44"))
    page = client.post(reverse("contact_vcard_import"), {"file": upload, "mode": "all"})
    assert page.status_code == 200
    assert "1 created" in page.content.decode()
    listing = client.get(reverse("contact_vcard_list") + "?q=Zo")
    assert b"".join(listing.streaming_content).count(b"BEGIN:VCARD") == 2
    path = tmp_path / "cards.vcf"
    path.write_bytes(card.content.replace(b"crm-42", b"crm-45"))
    call_command("import-vcard", str(path), "--as", "admin")
    assert Contact.objects.filter(external_id="crm-45").exists()
    assert Account.objects.filter(name="Acme, Inc.").count() == 1
