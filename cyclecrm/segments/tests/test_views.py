"""Segment pages: list, detail with members, the builder form and the live preview."""

import json

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.segments.models import Segment, SegmentMember

GERMANS = {"all": [{"field": "country", "op": "eq", "value": "DE"}]}


def test_list_and_detail(web_client, admin, people):
    segment = Segment.objects.create(name="Germans", rules=GERMANS, owner=admin)
    client = web_client(admin)

    listing = client.get("/segments/")
    detail = client.get(f"/segments/{segment.pk}/")

    assert "Germans" in listing.content.decode()
    page = detail.content.decode()
    assert 'id="segment-count">2<' in page
    assert "Alt" in page and "Brandt" in page and "Cohen" not in page


def test_detail_query_count_does_not_grow_with_members(
    web_client, admin, people, django_assert_max_num_queries
):
    rules = {"all": [{"field": "orders.count", "op": "gte", "value": 0}]}
    segment = Segment.objects.create(name="All", rules=rules, owner=admin)
    for i in range(30):
        make_contact(admin, last_name=f"Extra {i}", account=people["anna"].account)
    client = web_client(admin)
    client.get(f"/segments/{segment.pk}/")  # warm per-process caches

    with django_assert_max_num_queries(14):
        response = client.get(f"/segments/{segment.pk}/")

    assert response.content.decode().count("Extra ") == 30


def test_create_through_the_form(web_client, marketer, people):
    response = web_client(marketer).post(
        "/segments/new/",
        {"name": "Germans", "kind": "dynamic", "rules": json.dumps(GERMANS)},
    )

    segment = Segment.objects.get()
    assert response.status_code == 302 and segment.rules == GERMANS
    assert segment.owner == marketer


def test_form_shows_rule_errors_by_path(web_client, marketer):
    response = web_client(marketer).post(
        "/segments/new/",
        {"name": "Bad", "kind": "dynamic", "rules": '{"all": [{"field": "cuntry", "op": "eq"}]}'},
    )

    assert response.status_code == 200
    assert "rules.all[0].field: Unknown field" in response.content.decode()
    assert not Segment.objects.exists()


def test_form_page_has_the_builder(web_client, marketer):
    page = web_client(marketer).get("/segments/new/").content.decode()

    assert 'id="rule-builder"' in page and "segments/builder.js" in page
    assert 'id="segment-fields"' in page and "rules-changed" in page


def test_preview_partial(web_client, admin, people):
    client = web_client(admin)

    counted = client.post("/segments/preview/", {"rules": json.dumps(GERMANS)})
    broken = client.post("/segments/preview/", {"rules": '{"all": [{"field": "x", "op": "eq"}]}'})
    not_json = client.post("/segments/preview/", {"rules": "{"})

    assert 'data-testid="segment-count">2<' in counted.content.decode()
    assert "rules.all[0].field" in broken.content.decode()
    assert "Not valid JSON" in not_json.content.decode()


def test_static_list_editing_on_the_detail_page(web_client, marketer, people):
    segment = Segment.objects.create(name="VIP", kind="static", owner=marketer)
    client = web_client(marketer)

    client.post(
        f"/segments/{segment.pk}/", {"contact_ids": f"{people['anna'].pk}", "action": "add"}
    )
    bad = client.post(f"/segments/{segment.pk}/", {"contact_ids": "abc", "action": "add"})

    assert list(SegmentMember.objects.values_list("contact_id", flat=True)) == [people["anna"].pk]
    assert bad.status_code == 200 and "Give contact ids" in bad.content.decode()


def test_contact_list_adds_every_filtered_contact_to_a_static_list(
    web_client, marketer, rep_a, people
):
    vip = Segment.objects.create(name="VIP", kind="static", owner=marketer)
    client = web_client(marketer)

    page = client.get("/contacts/?country=DE").content.decode()
    rep_page = web_client(rep_a).get("/contacts/").content.decode()
    response = client.post(
        "/segments/add-matching/", {"segment": vip.pk, "query": "country=DE&limit=25"}
    )
    again = client.post("/segments/add-matching/", {"segment": vip.pk, "query": "country=DE"})

    assert "Add all to list" in page and "VIP" in page
    assert "Add all to list" not in rep_page
    assert response.status_code == 302
    members = set(SegmentMember.objects.filter(segment=vip).values_list("contact_id", flat=True))
    assert members == {people["anna"].pk, people["ben"].pk}
    vip.refresh_from_db()
    assert vip.member_count == 2
    assert again.status_code == 302


def test_add_matching_refuses_dynamic_segments_and_bad_filters(web_client, marketer, people):
    dynamic = Segment.objects.create(name="Germans", rules=GERMANS, owner=marketer)
    vip = Segment.objects.create(name="VIP", kind="static", owner=marketer)
    client = web_client(marketer)

    refused = client.post(
        "/segments/add-matching/", {"segment": dynamic.pk, "query": "q=x"}, follow=True
    )
    bad_query = {"segment": vip.pk, "query": "created_after=yesterday"}
    bad = client.post("/segments/add-matching/", bad_query, follow=True)

    assert refused.redirect_chain[0][0] == "/contacts/?q=x"
    assert "Only a static list has members" in refused.content.decode()
    assert "Nothing added" in bad.content.decode() and "created_after" in bad.content.decode()
    assert not SegmentMember.objects.exists()
