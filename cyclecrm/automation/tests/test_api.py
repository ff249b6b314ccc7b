"""The workflows and webhooks API: CRUD, 422 errors naming the path, runs and deliveries pages,
dry run, resend, test events, role permissions."""

import pytest

from cyclecrm.automation.models import WebhookDelivery, WorkflowRun
from cyclecrm.automation.services import webhooks
from cyclecrm.contacts.models import Contact

JSON = "application/json"
RULE = {
    "name": "Tag Germans",
    "record_type": "contact",
    "trigger": "created",
    "conditions": {"all": [{"field": "country", "op": "eq", "value": "DE"}]},
    "actions": [{"type": "add_tag", "params": {"tag": "vip"}}],
}


def test_workflow_crud(api_client, admin):
    client = api_client(admin)
    created = client.post("/api/v1/workflows", RULE, content_type=JSON)
    assert created.status_code == 201, created.json()
    body = created.json()
    url = f"/api/v1/workflows/{body['id']}"

    patched = client.patch(url, {"active": False, "version": body["version"]}, content_type=JSON)

    assert body["event"] == "contact.created" and body["record_type"] == "contact"
    assert patched.status_code == 200 and patched.json()["active"] is False
    assert client.get("/api/v1/workflows").json()["items"][0]["id"] == body["id"]
    assert client.get(f"{url}/history").status_code == 200
    assert client.delete(url).status_code == 204
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("change", "path"),
    [
        ({"actions": [{"type": "launch_rocket", "params": {}}]}, "actions[0].type"),
        ({"actions": []}, "actions"),
        (
            {
                "actions": [
                    RULE["actions"][0],
                    {"type": "update_field", "params": {"field": "nope"}},
                ]
            },
            "actions[1].params.field",
        ),
        (
            {
                "actions": [
                    {"type": "update_field", "params": {"field": "lifecycle_stage", "value": "x"}}
                ]
            },
            "actions[0].params.value",
        ),
        ({"actions": [{"type": "add_tag", "params": {"tag": 5}}]}, "actions[0].params.tag"),
        (
            {"actions": [{"type": "add_tag", "params": {"colour": "red"}}]},
            "actions[0].params.colour",
        ),
        (
            {"conditions": {"all": [{"field": "cuntry", "op": "eq", "value": "DE"}]}},
            "conditions.all[0].field",
        ),
        ({"trigger": "stage_changed"}, "trigger"),
        ({"trigger": "schedule", "trigger_config": {"at": "25:00"}}, "trigger_config.at"),
        ({"trigger": "updated", "trigger_config": {"field": "nope"}}, "trigger_config.field"),
        ({"trigger_config": {"form": 1}}, "trigger_config.form"),
    ],
)
def test_invalid_rules_are_422_naming_the_path(api_client, admin, change, path):
    response = api_client(admin).post("/api/v1/workflows", {**RULE, **change}, content_type=JSON)
    assert response.status_code == 422, response.json()
    assert path in response.json()["error"]["fields"]


def test_runs_page_and_dry_run(
    api_client, admin, huey_immediate, django_capture_on_commit_callbacks
):
    client = api_client(admin)
    rule_id = client.post("/api/v1/workflows", RULE, content_type=JSON).json()["id"]
    with django_capture_on_commit_callbacks(execute=True):
        for country in ("DE", "FR", "DE"):
            client.post(
                "/api/v1/contacts", {"last_name": "X", "country": country}, content_type=JSON
            )
    french = Contact.objects.get(country="FR")

    first = client.get(f"/api/v1/workflows/{rule_id}/runs?limit=2").json()
    rest = client.get(
        f"/api/v1/workflows/{rule_id}/runs?limit=2&cursor={first['next_cursor']}"
    ).json()
    dry = client.post(f"/api/v1/workflows/{rule_id}/test?record_id={french.pk}").json()

    outcomes = [run["outcome"] for run in first["items"] + rest["items"]]
    assert outcomes == ["success", "skipped", "success"]
    assert rest["next_cursor"] is None
    assert dry["conditions_met"] is False and dry["actions"] == []
    assert WorkflowRun.objects.count() == 3


def test_action_types_list_the_registry(api_client, marketer):
    names = [
        item["name"] for item in api_client(marketer).get("/api/v1/workflows/action-types").json()
    ]
    assert {
        "add_tag",
        "assign_owner",
        "call_webhook",
        "create_task",
        "send_email",
        "update_field",
    } <= set(names)


def test_roles(api_client, admin, marketer, manager, rep_a, support_agent):
    # a marketer owns their workflows; reps and agents have none; webhooks are admin-only
    mine = api_client(marketer).post("/api/v1/workflows", RULE, content_type=JSON)
    assert mine.status_code == 201
    admins = api_client(admin).post("/api/v1/workflows", RULE, content_type=JSON).json()
    assert api_client(marketer).get(f"/api/v1/workflows/{admins['id']}").status_code == 404
    assert api_client(manager).post("/api/v1/workflows", RULE, content_type=JSON).status_code == 201
    for user in (rep_a, support_agent):
        assert (
            api_client(user).post("/api/v1/workflows", RULE, content_type=JSON).status_code == 403
        )
        assert api_client(user).get("/api/v1/workflows").json()["items"] == []
    hook = {"url": "https://example.com/hook", "events": ["*"]}
    for user in (marketer, manager, rep_a):
        assert api_client(user).post("/api/v1/webhooks", hook, content_type=JSON).status_code == 403
    assert api_client(admin).post("/api/v1/webhooks", hook, content_type=JSON).status_code == 201


def test_webhook_api(
    api_client, admin, receiver, huey_immediate, django_capture_on_commit_callbacks
):
    client = api_client(admin)
    created = client.post(
        "/api/v1/webhooks", {"url": receiver.url, "events": ["contact.created"]}, content_type=JSON
    )
    assert created.status_code == 201
    body = created.json()
    url = f"/api/v1/webhooks/{body['id']}"
    assert body["secret"].startswith("whsec_")
    assert "secret" not in client.get(url).json()

    receiver.answer(404)
    with django_capture_on_commit_callbacks(execute=True):
        client.post("/api/v1/contacts", {"last_name": "X"}, content_type=JSON)
    with django_capture_on_commit_callbacks(execute=True):
        tested = client.post(f"{url}/test")
    deliveries = client.get(f"{url}/deliveries").json()["items"]
    failed = next(d for d in deliveries if d["event"] == "contact.created")
    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(f"{url}/deliveries/{failed['id']}/resend")

    assert tested.status_code == 202
    assert failed["status"] == "failed" and failed["response_code"] == 404
    assert resent.status_code == 202 and resent.json()["event_id"] == failed["event_id"]
    assert WebhookDelivery.objects.get(pk=resent.json()["id"]).status == "succeeded"
    assert len(receiver.requests) == 3
    rotated = client.post(f"{url}/rotate-secret").json()["secret"]
    assert rotated != body["secret"]
    assert client.post(f"{url}/deliveries/999999/resend").status_code == 404


def test_invalid_webhook_is_422(api_client, admin):
    response = api_client(admin).post(
        "/api/v1/webhooks", {"url": "javascript:alert(1)", "events": ["*"]}, content_type=JSON
    )
    assert response.status_code == 422 and "url" in response.json()["error"]["fields"]


def test_delivery_log_query_count(api_client, admin, django_assert_max_num_queries):
    hook = webhooks.webhook_create(
        actor=admin, data={"url": "https://example.com/h", "events": ["*"]}
    )
    for _ in range(30):
        webhooks.delivery_queue_one(
            subscription_id=hook.pk, event="x.y", record_type="contact", object_id=0, data={}
        )
    client = api_client(admin)
    with django_assert_max_num_queries(8):
        response = client.get(f"/api/v1/webhooks/{hook.pk}/deliveries?limit=30")
    assert len(response.json()["items"]) == 30
