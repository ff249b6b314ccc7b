"""Likely duplicates of one record (find_candidates) and the field comparisons behind them."""

from datetime import date

import pytest

from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.dataquality.duplicates.compare import features, profile, score_pair
from cyclecrm.dataquality.duplicates.matching import find_candidates, threshold

pytestmark = pytest.mark.django_db


def _score(a: dict, b: dict, record_type: str = "contact") -> float:
    prof = profile(record_type)
    return score_pair(features(record_type, a), features(record_type, b), prof)[0]


def test_same_email_is_a_candidate_with_its_reason(admin):
    existing = make_contact(admin, first_name="Grace", last_name="Hopper", email="grace@navy.mil")
    found = find_candidates(
        actor=admin,
        record_type="contact",
        data={"first_name": "Grace", "last_name": "Hopper", "email": "GRACE@navy.mil"},
    )
    assert [c.record_id for c in found] == [existing.pk]
    assert found[0].score >= threshold("contact")
    assert found[0].reasons["email"] > 0


def test_typo_in_name_with_same_birth_date_and_postcode_matches(admin):
    existing = make_contact(
        admin,
        first_name="Katherine",
        last_name="Johnson",
        email="",
        birth_date=date(1918, 8, 26),
        postal_code="24060",
        city="White Sulphur Springs",
    )
    data = {
        "first_name": "Katharine",
        "last_name": "Johnson",
        "birth_date": date(1918, 8, 26),
        "postal_code": "24060",
        "city": "White Sulphur Springs",
    }
    found = find_candidates(actor=admin, record_type="contact", data=data)
    assert [c.record_id for c in found] == [existing.pk]


def test_different_people_with_the_same_surname_are_not_candidates(admin):
    make_contact(admin, first_name="Ada", last_name="Smith", email="", birth_date=date(1960, 1, 2))
    data = {"first_name": "Zoe", "last_name": "Smith", "birth_date": date(1991, 7, 30)}
    assert find_candidates(actor=admin, record_type="contact", data=data) == []


def test_candidates_exclude_the_record_itself_and_records_the_actor_cannot_read(
    admin, rep_a, rep_b
):
    mine = make_contact(rep_a, first_name="Ann", last_name="Lee", email="ann@lee.example")
    make_contact(rep_b, first_name="Ann", last_name="Lee", email="ann@lee.example")
    data = {"first_name": "Ann", "last_name": "Lee", "email": "ann@lee.example"}
    assert find_candidates(actor=rep_a, record_type="contact", data=data, exclude_id=mine.pk) == []
    assert len(find_candidates(actor=admin, record_type="contact", data=data)) == 2


def test_account_with_the_same_domain_matches(admin):
    existing = make_account(admin, name="Acme Corporation", domain="acme.example")
    found = find_candidates(
        actor=admin, record_type="account", data={"name": "ACME Corp", "domain": "acme.example"}
    )
    assert [c.record_id for c in found] == [existing.pk]


def test_swapped_first_and_last_name_still_match():
    a = {"first_name": "wilde", "last_name": "kyra", "birth_date": "1909-08-15", "city": "young"}
    b = {"first_name": "kyra", "last_name": "wilde", "birth_date": "1909-08-15", "city": "young"}
    assert _score(a, b) >= threshold("contact")


def test_swapped_day_and_month_is_a_near_birth_date():
    a = {"first_name": "ann", "last_name": "lee", "birth_date": "1980-03-04"}
    same = _score(a, {**a})
    swapped = _score(a, {**a, "birth_date": "1980-04-03"})
    other = _score(a, {**a, "birth_date": "1955-11-27"})
    assert same > swapped > other


def test_a_missing_value_weighs_nothing_and_a_different_one_lowers_the_score():
    a = {"first_name": "ann", "last_name": "lee", "city": "leeds"}
    assert _score(a, {**a, "city": ""}) > _score(a, {**a, "city": "bristol"})


def test_threshold_can_be_configured_in_settings(settings):
    override = {"threshold": 0.9, "weights": {"phone": {"exact": 3}}}
    settings.DUPLICATE_PROFILES = {"contact": override}
    assert threshold("contact") == 0.9
    assert profile("contact").weights["phone"]["exact"] == 3
    assert profile("contact").weights["email"]["exact"] == 11.0


def test_candidate_lookup_costs_the_same_queries_for_many_candidates(
    admin, rep_a, django_assert_max_num_queries
):
    for n in range(30):
        make_contact(rep_a, first_name="Ann", last_name="Lee", email=f"ann{n}@lee.example")
    data = {"first_name": "Ann", "last_name": "Lee", "email": "ann0@lee.example"}
    find_candidates(actor=rep_a, record_type="contact", data=data)  # warm the access cache
    with django_assert_max_num_queries(3):
        found = find_candidates(actor=rep_a, record_type="contact", data=data, limit=50)
    assert len(found) == 30


def test_colleagues_sharing_the_office_address_are_not_duplicates():
    """Two people of one account at the office's address, same family name, different first
    names, no e-mail on file (found in the demo data, scored 1.00 on the address alone)."""
    office = {
        "last_name": "Sá",
        "street": "Distrito Rafaela Dias, 486",
        "city": "Duarte de Gonçalves",
        "region": "Mato Grosso",
        "postal_code": "87239774",
        "gender": "female",
    }
    valentina = {**office, "first_name": "Valentina"}
    nicole = {**office, "first_name": "Nicole"}
    at_account = _score({**valentina, "account_id": 45}, {**nicole, "account_id": 45})
    assert at_account < 0.5
    # Without a shared account the same address is a household's, still evidence.
    assert _score(valentina, nicole) > at_account


def test_one_person_at_their_account_still_matches_on_name_and_email():
    a = {"first_name": "Nicole", "last_name": "Sá", "email": "nsa@truepath.com.br"}
    b = {"first_name": "Nicole", "last_name": "Sa", "email": "NSA@truepath.com.br"}
    assert _score({**a, "account_id": 45}, {**b, "account_id": 45}) >= 0.5


def test_different_names_at_one_address_are_two_people_unless_something_personal_is_shared():
    """Demo data had unrelated people at one address pass the threshold on the address alone."""
    address = {"street": "12 High Street", "city": "Leeds", "postal_code": "LS1 4AP"}
    cindy = {**address, "first_name": "Cindy", "last_name": "Cochran", "email": "cc@gmail.com"}
    chris = {**address, "first_name": "Christopher", "last_name": "Bernard", "email": "cb@x.com"}
    assert _score(cindy, chris) == 0.0
    born = {"birth_date": date(1980, 5, 17)}
    assert _score({**cindy, **born}, {**chris, **born}) > 0.0


def test_one_name_and_the_email_differ_at_one_address_are_two_people():
    """A household or an office: same family name, another first name, another mailbox."""
    home = {"street": "4 Elm Row", "city": "Leeds", "postal_code": "LS2 9JT", "last_name": "Gill"}
    carolyn = {**home, "first_name": "Carolyn", "email": "carolyn.gill@riverleaf.com"}
    jay = {**home, "first_name": "Jay", "email": "jaygill65@gmail.com"}
    assert _score(carolyn, jay) == 0.0
    assert _score({**carolyn, "email": ""}, jay) > 0.0
