"""Personas: CRUD through the API and pages, the live size of the linked segment per reader."""

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.segments.models import Persona, Segment

GERMANS = {"all": [{"field": "country", "op": "eq", "value": "DE"}]}
JSON = "application/json"


def test_persona_shows_its_segment_size_per_reader(api_client, marketer, rep_a, people):
    make_contact(rep_a, last_name="Own", country="DE")
    segment = Segment.objects.create(name="Germans", rules=GERMANS, owner=marketer)
    client = api_client(marketer)

    created = client.post(
        "/api/v1/personas",
        {
            "name": "Berlin buyer",
            "goals": "Save time",
            "preferred_channels": ["email", "call"],
            "segment_id": segment.pk,
        },
        content_type=JSON,
    )
    body = created.json()

    assert created.status_code == 201, body
    assert body["segment_size"] == 3 and body["preferred_channels"] == ["email", "call"]
    patched = client.patch(
        f"/api/v1/personas/{body['id']}",
        {"pain_points": "Too many tools", "version": body["version"]},
        content_type=JSON,
    )
    assert patched.json()["pain_points"] == "Too many tools"
    assert client.get("/api/v1/personas").json()["items"][0]["segment_size"] == 3
    assert client.delete(f"/api/v1/personas/{body['id']}").status_code == 204


def test_persona_refuses_unknown_channels_and_invisible_segments(api_client, marketer, rep_a):
    theirs = Segment.objects.create(name="Theirs", rules=GERMANS, owner=marketer)

    bad_channel = api_client(marketer).post(
        "/api/v1/personas", {"name": "P", "preferred_channels": ["fax"]}, content_type=JSON
    )
    invisible = api_client(rep_a).post(
        "/api/v1/personas", {"name": "P", "segment_id": theirs.pk}, content_type=JSON
    )

    assert bad_channel.status_code == 422
    assert invisible.status_code == 422
    assert "segment_id" in invisible.json()["error"]["fields"]
    assert not Persona.objects.exists()


def test_persona_pages(web_client, marketer, people):
    segment = Segment.objects.create(name="Germans", rules=GERMANS, owner=marketer)
    client = web_client(marketer)

    response = client.post(
        "/personas/new/",
        {"name": "Berlin buyer", "preferred_channels": ["email"], "segment_id": segment.pk},
    )
    persona = Persona.objects.get()
    detail = client.get(f"/personas/{persona.pk}/").content.decode()
    listing = client.get("/personas/").content.decode()

    assert response.status_code == 302
    assert persona.segment == segment and persona.preferred_channels == ["email"]
    assert 'id="persona-size">2<' in detail
    assert "Berlin buyer" in listing and "Germans" in listing


def test_persona_figures_aggregate_the_segment_members(api_client, web_client, marketer, people):
    """Anna: orders of 1200 and 800 (a cancelled 5000 does not count), NPS 3 and 10;
    Ben: an order of 50, NPS 5. Chloé (FR) is outside the segment."""
    segment = Segment.objects.create(name="Germans", rules=GERMANS, owner=marketer)
    persona = Persona.objects.create(name="Berlin buyer", segment=segment, owner=marketer)
    bare = Persona.objects.create(name="No segment", owner=marketer)
    client = api_client(marketer)

    figures = client.get(f"/api/v1/personas/{persona.pk}/figures").json()
    missing = client.get(f"/api/v1/personas/{bare.pk}/figures")
    page = web_client(marketer).get(f"/personas/{persona.pk}/").content.decode()

    assert figures["contacts"] == 2 and figures["buyers"] == 2 and figures["orders"] == 3
    assert float(figures["revenue"]) == 2050
    assert round(float(figures["average_order_value"]), 2) == 683.33
    assert figures["nps"] == -33.3 and figures["nps_answers"] == 3
    assert figures["churn_rate"] is None
    assert missing.status_code == 404
    assert 'id="persona-aov">683.33<' in page and 'id="persona-nps">-33.3<' in page


def test_no_rules_means_every_contact_the_reader_may_read(
    api_client, web_client, marketer, rep_a, people
):
    """A dynamic segment stored with `{}` (the model default) is not an error anywhere: it
    matches every contact the reader may read, like `{"all": []}` (the /personas/ page used to
    answer 500)."""
    make_contact(rep_a, last_name="Own")
    everyone = Segment.objects.create(name="Everyone", rules={}, owner=marketer, team=None)
    Persona.objects.create(name="Anybody", segment=everyone, owner=marketer)

    page = web_client(marketer).get("/personas/")
    listed = api_client(marketer).get("/api/v1/personas").json()["items"]
    preview = api_client(rep_a).post("/api/v1/segments/preview", {"rules": {}}, content_type=JSON)

    assert page.status_code == 200
    assert listed[0]["segment_size"] == 4
    assert preview.status_code == 200 and preview.json() == {"count": 1}


def test_persona_list_counts_segments_in_constant_queries(
    web_client, api_client, marketer, people, django_assert_max_num_queries
):
    def add_personas(count: int) -> None:
        for n in range(count):
            segment = Segment.objects.create(name=f"S{n}", rules=GERMANS, owner=marketer)
            Persona.objects.create(name=f"P{n}", segment=segment, owner=marketer)

    add_personas(2)
    client, api = web_client(marketer), api_client(marketer)
    client.get("/personas/")  # warm the session and permission caches
    api.get("/api/v1/personas")
    with django_assert_max_num_queries(30) as few:
        client.get("/personas/")
    with django_assert_max_num_queries(30) as few_api:
        api.get("/api/v1/personas")
    add_personas(8)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = client.get("/personas/").content.decode()
    with django_assert_max_num_queries(len(few_api.captured_queries)):
        items = api.get("/api/v1/personas").json()["items"]

    assert page.count("<td>2</td>") == 10
    assert [item["segment_size"] for item in items] == [2] * 10


def test_persona_list_hides_the_name_of_a_segment_the_reader_may_not_read(web_client, rep_a, rep_b):
    secret = Segment.objects.create(name="Zq secret segment", rules=GERMANS, owner=rep_b)
    Persona.objects.create(name="Shared persona", segment=secret, owner=rep_a)

    page = web_client(rep_a).get("/personas/").content.decode()

    assert "Shared persona" in page and "Zq secret segment" not in page
