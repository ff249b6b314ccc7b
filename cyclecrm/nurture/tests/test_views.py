"""Sequence pages: list (query count), editor with steps, enroll from contact and segment pages,
the contact's sequence panel."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.nurture.enrollment import enroll
from cyclecrm.nurture.models import Enrollment, SequenceStep
from cyclecrm.segments.models import Segment, SegmentMember

pytestmark = pytest.mark.django_db


def list_queries(client) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/sequences/")
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_list_query_count_does_not_grow_with_sequences(web_client, marketer, build, ada):
    client = web_client(marketer)
    first = build([("wait", {"days": 1})], name="A")
    enroll(sequence=first, contacts=[ada], source="hand", actor=marketer)
    baseline = list_queries(client)
    for n in range(5):
        sequence = build([("wait", {"days": 1}), ("notify_owner", {"message": "m"})], name=f"S{n}")
        enroll(sequence=sequence, contacts=[ada], source="hand", actor=marketer)
    assert list_queries(client) == baseline
    page = client.get("/sequences/").content.decode()
    assert "S4" in page and "A</a>" in page


def test_create_sequence_add_steps_and_activate_through_pages(web_client, marketer):
    client = web_client(marketer)
    response = client.post("/sequences/new/", {"name": "Onboarding", "exit_on_reply": "on"})
    assert response.status_code == 302
    sequence_url = response["Location"]
    pk = int(sequence_url.strip("/").split("/")[-1])
    bad = client.post(
        f"/sequences/{pk}/steps/new/", {"type": "wait", "weekdays": ["1"], "time": "9h"}
    )
    assert bad.status_code == 200
    assert "Give a time as HH:MM." in bad.content.decode()
    for data in (
        {
            "type": "send_email",
            "subject": "Hi {{ contact.first_name }}",
            "body": "Welcome",
            "track": "on",
        },
        {"type": "wait", "weekdays": ["0", "3"], "time": "09:00"},
        {"type": "branch", "condition": "score_gte", "score": "40", "yes": "1"},
    ):
        assert client.post(f"/sequences/{pk}/steps/new/", data).status_code == 302
    steps = list(SequenceStep.objects.filter(sequence_id=pk).order_by("position"))
    assert steps[0].config["track"] is True
    assert steps[1].config == {"weekdays": [0, 3], "time": "09:00"}
    assert steps[2].config == {
        "condition": {"type": "score_gte", "value": 40},
        "yes": 1,
        "no": None,
    }
    client.post(f"/sequences/{pk}/steps/{steps[2].pk}/change/", {"action": "up"})
    assert SequenceStep.objects.get(pk=steps[2].pk).position == 2
    client.post(f"/sequences/{pk}/status/", {"status": "active"})
    page = client.get(sequence_url).content.decode()
    assert "Active" in page and "Send e-mail" in page


def test_enroll_from_contact_page_and_panel(web_client, marketer, build, ada):
    sequence = build([("wait", {"days": 2}), ("notify_owner", {"message": "m"})])
    client = web_client(marketer)
    contact_url = f"/contacts/{ada.pk}/"
    page = client.get(contact_url).content.decode()
    assert 'id="contact-sequences"' in page and "In no sequence" in page
    response = client.post(
        "/sequences/enroll/",
        {"sequence_id": sequence.pk, "contact_ids": str(ada.pk), "next": contact_url},
    )
    assert response["Location"] == contact_url
    assert Enrollment.objects.get().source == "hand"
    page = client.get(contact_url).content.decode()
    assert "Step 1 of 2" in page


def test_enroll_segment_from_segment_page(web_client, marketer, build, rep_a):
    sequence = build([("wait", {"days": 2})])
    static = Segment.objects.create(name="List", kind="static", owner=marketer)
    for contact in (make_contact(rep_a), make_contact(rep_a)):
        SegmentMember.objects.create(segment=static, contact=contact)
    client = web_client(marketer)
    assert 'id="segment-enroll-form"' in client.get(f"/segments/{static.pk}/").content.decode()
    client.post("/sequences/enroll/", {"sequence_id": sequence.pk, "segment_id": static.pk})
    assert Enrollment.objects.filter(source="segment").count() == 2


def test_pages_respect_permissions(web_client, rep_a, marketer, build, ada):
    sequence = build([("wait", {"days": 1})])
    enroll(sequence=sequence, contacts=[ada], source="hand", actor=marketer)
    client = web_client(rep_a)
    assert client.get(f"/sequences/{sequence.pk}/").status_code == 404
    assert client.post(f"/sequences/{sequence.pk}/status/", {"status": "paused"}).status_code == 404
    response = client.post("/sequences/enroll/", {"sequence_id": sequence.pk, "contact_ids": "1"})
    assert response.status_code == 404
    # the rep sees the contact's panel, but not the marketer's sequence in it
    page = client.get(f"/contacts/{ada.pk}/").content.decode()
    assert "In no sequence you can see." in page
    assert sequence.name not in page.split('id="contact-sequences"')[1].split("</section>")[0]
