"""/api/v1/sequences: CRUD with steps, 422 naming the step path, enroll, enrollments, stats,
permissions."""

import pytest

from cyclecrm.core.testing.factories import make_contact
from cyclecrm.nurture.models import Enrollment
from cyclecrm.segments.models import Segment, SegmentMember

pytestmark = pytest.mark.django_db
BASE = "/api/v1/sequences"


def test_create_add_steps_activate_and_read(api_client, marketer):
    client = api_client(marketer)
    created = client.post(BASE, {"name": "Welcome"}, content_type="application/json")
    assert created.status_code == 201, created.json()
    sid = created.json()["id"]
    for body in (
        {"type": "send_email", "config": {"subject": "Hi", "body": "Hello"}},
        {"type": "wait", "config": {"weekdays": [0, 2], "time": "09:30"}},
        {"type": "branch", "config": {"condition": {"type": "clicked"}, "yes": 1, "no": None}},
    ):
        response = client.post(f"{BASE}/{sid}/steps", body, content_type="application/json")
        assert response.status_code == 201, response.json()
    activated = client.patch(
        f"{BASE}/{sid}", {"status": "active", "version": 1}, content_type="application/json"
    )
    assert activated.status_code == 200, activated.json()
    body = activated.json()
    assert body["status"] == "active"
    assert [s["type"] for s in body["steps"]] == ["send_email", "wait", "branch"]
    assert body["steps"][1]["config"] == {"weekdays": [0, 2], "time": "09:30"}


def test_step_errors_name_the_config_path(api_client, marketer):
    client = api_client(marketer)
    sid = client.post(BASE, {"name": "S"}, content_type="application/json").json()["id"]
    bad_rules = {
        "type": "branch",
        "config": {
            "condition": {
                "type": "rules",
                "rules": {"all": [{"field": "nope", "op": "eq", "value": 1}]},
            },
            "yes": 1,
        },
    }
    response = client.post(f"{BASE}/{sid}/steps", bad_rules, content_type="application/json")
    assert response.status_code == 422
    fields = response.json()["error"]["fields"]
    assert any(name.startswith("config.condition.rules.all[0]") for name in fields), fields
    wait = {"type": "wait", "config": {"weekdays": [7], "time": "25:00"}}
    response = client.post(f"{BASE}/{sid}/steps", wait, content_type="application/json")
    assert set(response.json()["error"]["fields"]) == {"config.weekdays", "config.time"}


def test_activation_checks_branch_targets(api_client, marketer):
    client = api_client(marketer)
    sid = client.post(BASE, {"name": "S"}, content_type="application/json").json()["id"]
    empty = client.patch(
        f"{BASE}/{sid}", {"status": "active", "version": 1}, content_type="application/json"
    )
    assert empty.status_code == 422
    assert "steps" in empty.json()["error"]["fields"]
    client.post(
        f"{BASE}/{sid}/steps",
        {"type": "branch", "config": {"condition": {"type": "opened"}, "yes": 5}},
        content_type="application/json",
    )
    response = client.patch(
        f"{BASE}/{sid}", {"status": "active", "version": 1}, content_type="application/json"
    )
    assert response.json()["error"]["fields"] == {"steps[0].config.yes": ["Step 5 does not exist."]}


def test_reorder_keeps_branch_targets_and_enrollment_positions(api_client, marketer, build, ada):
    sequence = build(
        [
            ("wait", {"days": 1}),
            ("notify_owner", {"message": "a"}),
            ("branch", {"condition": {"type": "opened"}, "yes": 2, "no": 1}),
        ]
    )
    steps = list(sequence.steps.order_by("position"))
    Enrollment.objects.create(sequence=sequence, contact=ada, position=2, source="hand")
    client = api_client(marketer)
    new_order = [steps[2].pk, steps[1].pk, steps[0].pk]
    response = client.post(
        f"{BASE}/{sequence.pk}/steps/reorder",
        {"step_ids": new_order},
        content_type="application/json",
    )
    assert response.status_code == 200, response.json()
    branch = response.json()[0]
    assert branch["config"]["yes"] == 2 and branch["config"]["no"] == 3
    assert Enrollment.objects.get().position == 2  # notify_owner is still second


def test_delete_step_moves_targets_to_its_successor(api_client, marketer, build):
    sequence = build(
        [
            ("branch", {"condition": {"type": "opened"}, "yes": 2, "no": 3}),
            ("notify_owner", {"message": "a"}),
            ("notify_owner", {"message": "b"}),
        ]
    )
    second = sequence.steps.get(position=2)
    response = api_client(marketer).delete(f"{BASE}/{sequence.pk}/steps/{second.pk}")
    assert response.status_code == 204
    branch = sequence.steps.get(position=1)
    assert (branch.config["yes"], branch.config["no"]) == (2, 2)
    assert list(sequence.steps.values_list("position", flat=True)) == [1, 2]


def test_enroll_contacts_and_segment_skip_existing(api_client, marketer, build, ada, rep_a):
    sequence = build([("wait", {"days": 1})])
    other = make_contact(rep_a)
    static = Segment.objects.create(name="L", kind="static", owner=marketer)
    SegmentMember.objects.create(segment=static, contact=ada)
    SegmentMember.objects.create(segment=static, contact=other)
    client = api_client(marketer)
    first = client.post(
        f"{BASE}/{sequence.pk}/enroll", {"contact_ids": [ada.pk]}, content_type="application/json"
    )
    assert first.json() == {"enrolled": 1, "skipped": 0}
    second = client.post(
        f"{BASE}/{sequence.pk}/enroll", {"segment_id": static.pk}, content_type="application/json"
    )
    assert second.json() == {"enrolled": 1, "skipped": 1}
    assert set(Enrollment.objects.values_list("source", flat=True)) == {"hand", "segment"}
    page = client.get(f"{BASE}/{sequence.pk}/enrollments?limit=1").json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get(f"{BASE}/{sequence.pk}/enrollments?limit=1&cursor={page['next_cursor']}")
    assert {page["items"][0]["id"], rest.json()["items"][0]["id"]} == set(
        Enrollment.objects.values_list("id", flat=True)
    )


def test_pause_resume_exit_and_stats(api_client, marketer, build, ada, tick):
    sequence = build([("wait", {"days": 1}), ("notify_owner", {"message": "x"})])
    client = api_client(marketer)
    client.post(
        f"{BASE}/{sequence.pk}/enroll", {"contact_ids": [ada.pk]}, content_type="application/json"
    )
    eid = Enrollment.objects.get().pk
    tick()
    url = f"{BASE}/{sequence.pk}/enrollments/{eid}"
    assert client.post(f"{url}/pause").json()["state"] == "paused"
    assert client.post(f"{url}/pause").status_code == 422
    assert client.post(f"{url}/resume").json()["state"] == "active"
    stats = client.get(f"{BASE}/{sequence.pk}/stats").json()
    assert [(s["position"], s["entered"], s["waiting"], s["exited"]) for s in stats] == [
        (1, 1, 0, 0),
        (2, 0, 1, 0),
    ]
    exited = client.post(f"{url}/exit").json()
    assert (exited["state"], exited["exit_reason"]) == ("exited", "manual")
    stats = client.get(f"{BASE}/{sequence.pk}/stats").json()
    assert [(s["waiting"], s["exited"]) for s in stats] == [(0, 0), (0, 1)]


def test_permissions(api_client, marketer, rep_a, rep_b, build, ada):
    sequence = build([("wait", {"days": 1})])
    # a sales rep does not see the marketer's sequence
    assert api_client(rep_a).get(f"{BASE}/{sequence.pk}").status_code == 404
    # nor enroll into it
    response = api_client(rep_a).post(
        f"{BASE}/{sequence.pk}/enroll", {"contact_ids": [ada.pk]}, content_type="application/json"
    )
    assert response.status_code == 404
    # the rep builds their own, but may not enroll a contact they cannot read
    client = api_client(rep_b)
    sid = client.post(BASE, {"name": "Mine"}, content_type="application/json").json()["id"]
    client.post(
        f"{BASE}/{sid}/steps",
        {"type": "wait", "config": {"days": 1}},
        content_type="application/json",
    )
    client.patch(
        f"{BASE}/{sid}", {"status": "active", "version": 1}, content_type="application/json"
    )
    response = client.post(
        f"{BASE}/{sid}/enroll", {"contact_ids": [ada.pk]}, content_type="application/json"
    )
    assert response.status_code == 422
    assert response.json()["error"]["fields"] == {
        "contact_ids": [f"No record you may see with id {ada.pk}."]
    }
    # a read-only token may not write
    readonly = api_client(marketer, scope="read")
    assert readonly.post(BASE, {"name": "X"}, content_type="application/json").status_code == 403


def test_draft_sequences_take_no_enrollments(api_client, marketer, ada):
    client = api_client(marketer)
    sid = client.post(BASE, {"name": "S"}, content_type="application/json").json()["id"]
    response = client.post(
        f"{BASE}/{sid}/enroll", {"contact_ids": [ada.pk]}, content_type="application/json"
    )
    assert response.status_code == 422
