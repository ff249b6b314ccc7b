"""/api/v1/activities (the push API) and /api/v1/<resource>/{id}/timeline: contract names,
matching, errors naming the field, ordering, channel filter, keyset pages, permissions, the
.ics download and query counts."""

import datetime as dt

import pytest
import vobject
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.activities.models import Channel
from cyclecrm.activities.tests.factories import make_interaction
from cyclecrm.core.testing.factories import make_account, make_contact
from cyclecrm.leads.models import Lead
from cyclecrm.pipeline.services import opportunity_create

JSON = "application/json"


def _ago(hours: float) -> dt.datetime:
    return timezone.now().replace(microsecond=0) - dt.timedelta(hours=hours)


def test_push_a_call_matched_by_phone(api_client, rep_a):
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account, phone="+14155552671")

    response = api_client(rep_a).post(
        "/api/v1/activities",
        {
            "channel": "call",
            "direction": "inbound",
            "subject": "Support line",
            "body": "Asked about <b>renewal</b>",
            "occurred_at": "2026-11-20T10:00:00+01:00",
            "contact_phone": "(415) 555-2671",
            "duration_seconds": 95,
            "outcome": "connected",
        },
        content_type=JSON,
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["contact"] == contact.pk
    assert body["account"] == account.pk
    assert body["channel"] == "call"
    assert body["direction"] == "inbound"
    assert body["duration_seconds"] == 95
    assert body["body"] == "Asked about <b>renewal</b>"
    assert dt.datetime.fromisoformat(body["occurred_at"]) == dt.datetime(
        2026, 11, 20, 9, tzinfo=dt.UTC
    )
    assert body["owner_id"] == rep_a.pk
    assert "contact_id" not in body


def test_push_by_email_and_by_record_ids(api_client, admin):
    contact = make_contact(owner=admin, email="pat@example.com")
    lead = Lead.objects.create(owner=admin, last_name="Lee", email="lee@example.com")
    client = api_client(admin)

    by_email = client.post(
        "/api/v1/activities",
        {"channel": "social", "contact_email": "PAT@example.com", "subject": "Tweet"},
        content_type=JSON,
    )
    by_ids = client.post(
        "/api/v1/activities",
        {"channel": "note", "lead": lead.pk, "contact": contact.pk, "body": "Met at fair"},
        content_type=JSON,
    )

    assert by_email.status_code == 201, by_email.content
    assert by_email.json()["contact"] == contact.pk
    assert by_ids.status_code == 201, by_ids.content
    assert (by_ids.json()["lead"], by_ids.json()["contact"]) == (lead.pk, contact.pk)


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"channel": "email", "contact_email": "nobody@example.com"}, "contact_email"),
        ({"channel": "call", "contact_phone": "+14155550000"}, "contact_phone"),
        ({"channel": "call", "contact_phone": "12"}, "contact_phone"),
        ({"channel": "note"}, "contact"),
        ({"channel": "note", "contact": 999999}, "contact"),
        ({"channel": "note", "account": 999999}, "account"),
        ({"channel": "pigeon", "contact_email": "a@example.com"}, "channel"),
        ({"channel": "call", "occurred_at": "yesterday"}, "occurred_at"),
        ({"channel": "call", "contact_email": "x@example.com", "colour": "red"}, "colour"),
    ],
)
def test_bad_input_is_422_naming_the_field(api_client, rep_a, payload, field):
    make_contact(owner=rep_a, email="x@example.com")

    response = api_client(rep_a).post("/api/v1/activities", payload, content_type=JSON)

    assert response.status_code == 422, response.content
    error = response.json()["error"]
    assert field in error["fields"] or any(field in key for key in error["fields"]), error


def test_get_patch_delete_and_list(api_client, rep_a, rep_b):
    contact = make_contact(owner=rep_a)
    client = api_client(rep_a)
    created = client.post(
        "/api/v1/activities", {"channel": "chat", "contact": contact.pk}, content_type=JSON
    ).json()
    pk = created["id"]

    assert client.get(f"/api/v1/activities/{pk}").json()["channel"] == "chat"
    patched = client.patch(
        f"/api/v1/activities/{pk}", {"version": 1, "subject": "Widget chat"}, content_type=JSON
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["version"] == 2
    stale = client.patch(f"/api/v1/activities/{pk}", {"version": 1}, content_type=JSON)
    assert stale.status_code == 409

    listed = client.get("/api/v1/activities?channel=chat").json()
    assert [item["id"] for item in listed["items"]] == [pk]
    assert client.get("/api/v1/activities?channel=fax").status_code == 422

    other = api_client(rep_b)
    assert other.get(f"/api/v1/activities/{pk}").status_code == 404
    assert other.get("/api/v1/activities").json()["items"] == []
    assert other.delete(f"/api/v1/activities/{pk}").status_code == 404

    assert client.delete(f"/api/v1/activities/{pk}").status_code == 204
    assert client.get(f"/api/v1/activities/{pk}").status_code == 404


# -- timelines -----------------------------------------------------------------------------------


@pytest.fixture
def history(rep_a, rep_b):
    account = make_account(owner=rep_a)
    contact = make_contact(owner=rep_a, account=account)
    colleague = make_contact(owner=rep_a, account=account)
    rows = {
        "old_call": make_interaction(rep_a, contact=contact, occurred_at=_ago(50)),
        "email": make_interaction(rep_a, contact=contact, channel="email", occurred_at=_ago(30)),
        "meeting": make_interaction(
            rep_a, contact=contact, channel="meeting", occurred_at=_ago(20)
        ),
        "colleague_call": make_interaction(rep_a, contact=colleague, occurred_at=_ago(10)),
        "hidden": make_interaction(rep_b, contact=contact, channel="chat", occurred_at=_ago(5)),
        "account_note": make_interaction(
            rep_a, account=account, channel="note", occurred_at=_ago(1)
        ),
    }
    return {"account": account, "contact": contact, "rows": rows}


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_contact_timeline_newest_first_only_what_the_reader_sees(api_client, rep_a, history):
    rows = history["rows"]

    ids = _ids(api_client(rep_a).get(f"/api/v1/contacts/{history['contact'].pk}/timeline"))

    assert ids == [rows["meeting"].pk, rows["email"].pk, rows["old_call"].pk]


def test_manager_sees_the_whole_team(api_client, manager, history):
    ids = _ids(api_client(manager).get(f"/api/v1/contacts/{history['contact'].pk}/timeline"))
    assert history["rows"]["hidden"].pk in ids


def test_account_timeline_includes_its_contacts(api_client, rep_a, history):
    rows = history["rows"]

    ids = _ids(api_client(rep_a).get(f"/api/v1/accounts/{history['account'].pk}/timeline"))

    assert ids == [
        rows["account_note"].pk,
        rows["colleague_call"].pk,
        rows["meeting"].pk,
        rows["email"].pk,
        rows["old_call"].pk,
    ]


def test_timeline_channel_filter_and_pages(api_client, rep_a, history):
    rows = history["rows"]
    client = api_client(rep_a)
    url = f"/api/v1/accounts/{history['account'].pk}/timeline"

    calls = _ids(client.get(f"{url}?channel=call"))
    assert calls == [rows["colleague_call"].pk, rows["old_call"].pk]
    assert _ids(client.get(f"{url}?channel=email,meeting")) == [
        rows["meeting"].pk,
        rows["email"].pk,
    ]
    assert client.get(f"{url}?channel=fax").status_code == 422

    seen, cursor = [], None
    while True:
        page = client.get(url + "?limit=2" + (f"&cursor={cursor}" if cursor else "")).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == _ids(client.get(url))
    assert len(seen) == 5


def test_timeline_of_an_invisible_record_is_404(api_client, rep_b, history):
    response = api_client(rep_b).get(f"/api/v1/contacts/{history['contact'].pk}/timeline")
    assert response.status_code == 404


def test_lead_and_opportunity_timelines(api_client, admin):
    lead = Lead.objects.create(owner=admin, last_name="Lee")
    contact = make_contact(owner=admin)
    deal = opportunity_create(actor=admin, data={"name": "Big deal", "contact_id": contact.pk})
    on_lead = make_interaction(admin, lead=lead)
    on_deal = make_interaction(admin, opportunity=deal)
    client = api_client(admin)

    assert _ids(client.get(f"/api/v1/leads/{lead.pk}/timeline")) == [on_lead.pk]
    assert _ids(client.get(f"/api/v1/opportunities/{deal.pk}/timeline")) == [on_deal.pk]


def test_timeline_query_count_does_not_grow(api_client, rep_a):
    contact = make_contact(owner=rep_a)
    client = api_client(rep_a)

    def count(rows: int) -> int:
        for _ in range(rows):
            interaction = make_interaction(rep_a, contact=contact, channel=Channel.MEETING)
            interaction.attendees.add(contact)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(f"/api/v1/contacts/{contact.pk}/timeline")
        assert response.status_code == 200
        return len(captured)

    count(0)  # the first request also records the token's use
    assert count(2) == count(10) <= 13


# -- .ics -----------------------------------------------------------------------------------------


def test_meeting_ics_parses(api_client, rep_a):
    contact = make_contact(owner=rep_a, email="guest@example.com", first_name="Gus")
    starts = timezone.now().replace(microsecond=0) + dt.timedelta(days=1)
    client = api_client(rep_a)
    created = client.post(
        "/api/v1/activities",
        {
            "channel": "meeting",
            "subject": "Quarterly review",
            "body": "<p>Agenda: numbers &amp; plans</p>",
            "contact": contact.pk,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + dt.timedelta(hours=1)).isoformat(),
            "location": "Room 4",
            "attendees": [contact.pk],
            "attendee_emails": ["boss@example.com"],
        },
        content_type=JSON,
    ).json()

    response = client.get(f"/api/v1/activities/{created['id']}/ics")

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = vobject.readOne(response.content.decode())
    event = calendar.vevent
    assert event.summary.value == "Quarterly review"
    assert event.location.value == "Room 4"
    assert event.description.value == "Agenda: numbers & plans"
    assert event.dtstart.value == starts
    assert event.dtend.value == starts + dt.timedelta(hours=1)
    attendees = {line.value for line in event.contents["attendee"]}
    assert attendees == {"mailto:guest@example.com", "mailto:boss@example.com"}
    assert event.uid.value.endswith("@cyclecrm")


def test_ics_of_a_call_is_422(api_client, rep_a):
    contact = make_contact(owner=rep_a)
    call = make_interaction(rep_a, contact=contact)

    response = api_client(rep_a).get(f"/api/v1/activities/{call.pk}/ics")

    assert response.status_code == 422
    assert "channel" in response.json()["error"]["fields"]


def test_case_timeline_and_logging_on_a_case(api_client, admin):
    from cyclecrm.support.models import Case

    contact = make_contact(owner=admin)
    case = Case.objects.create(owner=admin, number="C-TL-1", subject="Broken", contact=contact)
    client = api_client(admin)

    created = client.post(
        "/api/v1/activities", {"channel": "chat", "case": case.pk}, content_type=JSON
    )
    assert created.status_code == 201, created.content
    assert created.json()["case"] == case.pk

    assert _ids(client.get(f"/api/v1/cases/{case.pk}/timeline")) == [created.json()["id"]]


def test_contact_engagement_is_shown_and_filterable(api_client, rep_a):
    busy = make_contact(owner=rep_a)
    quiet = make_contact(owner=rep_a)
    client = api_client(rep_a)
    for _ in range(2):
        client.post(
            "/api/v1/activities", {"channel": "call", "contact": busy.pk}, content_type=JSON
        )

    body = client.get(f"/api/v1/contacts/{busy.pk}").json()
    assert body["interactions_30d"] == 2
    assert body["engagement"]["30d"]["call"] == 2
    assert body["last_interaction_at"] is not None

    active = _ids(client.get("/api/v1/contacts?min_interactions_30d=2"))
    assert active == [busy.pk]
    since = (timezone.now() - dt.timedelta(days=1)).isoformat().replace("+", "%2B")
    assert _ids(client.get(f"/api/v1/contacts?last_interaction_before={since}")) == [quiet.pk]
