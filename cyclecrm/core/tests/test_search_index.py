"""The search indexes behind `search_q` (core/db/search_index.py, docs/adr/0027): the indexed
match returns exactly the portable match, the index follows every write path, and the engine's
query plan uses it."""

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cyclecrm.contacts.filters import CONTACT_SEARCH, CONTACT_SEARCH_FIELDS
from cyclecrm.contacts.models import Contact
from cyclecrm.core.db import search, search_q
from cyclecrm.core.db.vendor import bulk_insert
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.core.testing.plans import query_plan
from cyclecrm.dataquality.duplicates.merge import record_merge

pytestmark = pytest.mark.django_db

NAMES = ["Ann", "Anne", "Johnson", "Jo", "Smith", "Smithers", "O'Neil", 'Quo"te', "Lee"]
WORD = st.text(alphabet="abcdeijklmnos'\"@.+0123", min_size=1, max_size=7)


def _portable(query: str) -> set[int]:
    terms = query.split()[: search.MAX_TERMS]
    q = search._portable_q(terms, CONTACT_SEARCH_FIELDS, substring=True)
    return set(Contact.objects.filter(q).values_list("id", flat=True))


def _indexed(query: str) -> set[int]:
    return set(Contact.objects.filter(search_q(query, CONTACT_SEARCH)).values_list("id", flat=True))


@pytest.fixture
def people(admin):
    for n, name in enumerate(NAMES):
        make_contact(
            admin,
            first_name=NAMES[-n],
            last_name=name,
            email=f"{name.lower()}.{n}@{['gmail.com', 'example.org'][n % 2]}",
            phone=f"+44770090{n:04d}",
        )


@pytest.mark.parametrize(
    "query",
    ["smith", "SMI", "jo", "ann smi", "gmail.com", "0900", "o'n", 'o"t', "a e", "zzz", "+4477"],
)
def test_indexed_search_finds_exactly_the_portable_matches(people, query):
    assert _indexed(query) == _portable(query)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(words=st.lists(WORD, min_size=1, max_size=3))
def test_any_query_finds_exactly_the_portable_matches(people, words):
    query = " ".join(words)
    assert _indexed(query) == _portable(query)


def test_many_matches_give_the_same_rows_in_the_same_order(people, monkeypatch):
    ordered = Contact.objects.order_by("last_name", "first_name", "id")
    few = list(ordered.filter(search_q("mit", CONTACT_SEARCH)).values_list("id", flat=True))
    monkeypatch.setattr(search, "SORT_MATCHES_MAX", 1)
    many = list(ordered.filter(search_q("mit", CONTACT_SEARCH)).values_list("id", flat=True))
    assert len(few) == 2
    assert many == few


def test_the_index_follows_create_update_delete_and_queryset_update(admin):
    contact = make_contact(admin, first_name="Zelda", last_name="Quigley")
    assert _indexed("quig") == {contact.pk}
    contact.last_name = "Marsh"
    contact.save()
    assert _indexed("quig") == set()
    assert _indexed("mars") == {contact.pk}
    Contact.objects.filter(pk=contact.pk).update(email="zq@northwind.test")
    assert _indexed("northwind") == {contact.pk}
    contact.delete()
    assert _indexed("mars") == set()
    assert _indexed("northwind") == set()


def test_the_index_follows_bulk_insert(admin):
    rows = [Contact(last_name=f"Bulkrow{n}", owner=admin) for n in range(3)]
    with transaction.atomic():
        bulk_insert(Contact, rows)
    assert _indexed("bulkrow") == {row.pk for row in rows}
    Contact.objects.bulk_create([Contact(last_name="Bulkcreated", owner=admin)])
    assert len(_indexed("bulkcreated")) == 1


def test_the_index_follows_a_merge(admin):
    survivor = make_contact(admin, first_name="Ann", last_name="Keeper")
    merged = make_contact(admin, first_name="Anne", last_name="Goner", phone="+4930999111")
    record_merge(
        actor=admin,
        type_key="contact",
        survivor_id=survivor.pk,
        merged_id=merged.pk,
        choices={"phone": merged.pk},
    )
    assert _indexed("goner") == set()
    assert _indexed("30999111") == {survivor.pk}


def _plan(queryset) -> str:
    disable = ["enable_seqscan"]
    if not queryset.query.order_by and not queryset.query.default_ordering:
        disable.append("enable_indexscan")
    return query_plan(queryset, disable=disable)


@transaction.atomic
def _search_plan(query: str, *, ordered: bool = True) -> str:
    queryset = Contact.objects.filter(search_q(query, CONTACT_SEARCH))
    if ordered:
        queryset = queryset.order_by("last_name", "first_name", "id")[:51]
    else:
        queryset = queryset.order_by()
    return _plan(queryset)


def test_few_matches_are_found_through_the_index(people):
    if connection.vendor == "sqlite":
        plan = _search_plan("smith")
        assert "contacts_contact_search VIRTUAL TABLE INDEX" in plan
        assert "USING INTEGER PRIMARY KEY" in plan
    else:
        # Nine rows: PostgreSQL rightly walks the name index for the ordered page, so the
        # trigram indexes are checked on the match alone, plain index scans off.
        plan = _search_plan("smith", ordered=False)
        assert "contacts_contact_last_name_trgm" in plan
        assert "contacts_contact_email_trgm" in plan
        assert "Seq Scan" not in plan


def test_many_matches_walk_the_ordering_index_without_sorting(people, monkeypatch):
    monkeypatch.setattr(search, "SORT_MATCHES_MAX", 1)
    plan = _search_plan("smith")
    if connection.vendor == "sqlite":
        assert "SCAN contacts_contact USING INDEX contacts_contact_name_idx" in plan
        assert "TEMP B-TREE" not in plan
        assert "contacts_contact_search VIRTUAL TABLE INDEX" in plan
    else:
        assert "Seq Scan" not in plan
