"""Automation pages: lists, editors (errors shown by path), run and delivery logs with their
query counts, the resend button, role access."""

from cyclecrm.automation.models import WebhookDelivery, WorkflowRule, WorkflowRun
from cyclecrm.automation.services import rules, webhooks


def _rule(actor) -> WorkflowRule:
    return rules.workflow_create(
        actor=actor,
        data={
            "name": "Tag",
            "record_type": "contact",
            "trigger": "created",
            "actions": [{"type": "add_tag", "params": {"tag": "vip"}}],
        },
    )


def test_workflow_pages(web_client, admin):
    rule = _rule(admin)
    client = web_client(admin)
    assert "Tag" in client.get("/automation/workflows/").content.decode()
    page = client.get("/automation/workflows/new/?record_type=lead").content.decode()
    assert "segment-fields" in page and "industry" in page
    assert client.get(f"/automation/workflows/{rule.pk}/edit/").status_code == 200


def test_workflow_editor_creates_a_rule_and_shows_errors_by_path(web_client, admin):
    client = web_client(admin)
    form = {
        "name": "Welcome",
        "record_type": "contact",
        "trigger": "updated",
        "field": "city",
        "rules": '{"all": [{"field": "country", "op": "eq", "value": "DE"}]}',
        "action_0_type": "update_field",
        "action_0_params": '{"field": "nope", "value": 1}',
        "active": "on",
    }
    bad = client.post("/automation/workflows/new/", form)
    assert bad.status_code == 200
    assert "actions[0].params.field" in bad.content.decode()

    form["action_0_params"] = '{"field": "city", "value": "Bonn"}'
    good = client.post("/automation/workflows/new/", form)
    rule = WorkflowRule.objects.get()
    assert good.status_code == 302 and rule.trigger_config == {"field": "city"}
    assert rule.actions == [{"type": "update_field", "params": {"field": "city", "value": "Bonn"}}]


def test_run_log_query_count(web_client, admin, django_assert_max_num_queries):
    rule = _rule(admin)
    WorkflowRun.objects.bulk_create(
        WorkflowRun(
            rule=rule,
            record_type_key="contact",
            object_id=i,
            event="contact.created",
            outcome="success",
        )
        for i in range(60)
    )
    client = web_client(admin)
    with django_assert_max_num_queries(12):
        response = client.get(f"/automation/workflows/{rule.pk}/")
    assert response.content.decode().count("contact #") == 50
    assert "Older runs" in response.content.decode()


def test_delivery_log_resend_and_query_count(
    web_client, admin, receiver, django_assert_max_num_queries
):
    hook = webhooks.webhook_create(actor=admin, data={"url": receiver.url, "events": ["*"]})
    for _ in range(30):
        delivery = webhooks.delivery_queue_one(
            subscription_id=hook.pk, event="x.y", record_type="contact", object_id=0, data={}
        )
    receiver.answer(500)
    webhooks.delivery_attempt(delivery_id=delivery.pk)
    client = web_client(admin)
    with django_assert_max_num_queries(12):
        page = client.get(f"/automation/webhooks/{hook.pk}/")
    assert page.content.decode().count("<code>500</code>") == 1

    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed")
    response = client.post(
        f"/automation/webhooks/{hook.pk}/actions/", {"action": "resend", "delivery": delivery.pk}
    )
    assert response.status_code == 302
    assert WebhookDelivery.objects.filter(event_id=delivery.event_id).count() == 2


def test_webhook_create_shows_secret_once(web_client, admin):
    client = web_client(admin)
    response = client.post(
        "/automation/webhooks/new/",
        {"url": "https://example.com/h", "events": "contact.* lead.converted", "active": "on"},
    )
    hook = webhooks.WebhookSubscription.objects.get()
    assert hook.secret in response.content.decode()
    assert hook.events == ["contact.*", "lead.converted"]
    assert hook.secret not in client.get(f"/automation/webhooks/{hook.pk}/").content.decode()


def test_webhook_pages_are_admin_only(web_client, admin, marketer):
    webhooks.webhook_create(actor=admin, data={"url": "https://example.com/h", "events": ["*"]})
    client = web_client(marketer)
    assert "No webhooks yet" in client.get("/automation/webhooks/").content.decode()
    assert client.get("/automation/webhooks/new/").status_code == 403


def test_nav_shows_automation_to_those_who_may_read(web_client, admin, rep_a):
    assert "Workflow rules" in web_client(admin).get("/").content.decode()
    assert "Workflow rules" not in web_client(rep_a).get("/").content.decode()
