"""The lead pages and lead settings through the web client: who sees and does what, forms with
inline errors, status actions, the conversion dialog, converted leads staying read-only, export,
and list query counts that do not grow with the rows."""

import csv
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cyclecrm.contacts.models import Account
from cyclecrm.core.models import Tag
from cyclecrm.core.testing.factories import make_account
from cyclecrm.leads.models import AssignmentRule, Lead, LeadGrade, ScoringRule
from cyclecrm.leads.tests.factories import (
    make_assignment_rule,
    make_lead,
    make_scoring_rule,
)

ROLES = ("admin", "manager", "rep_a", "rep_b", "marketer", "support_agent")
HTMX = {"HX-Request": "true"}
# role -> (sees rep_a's lead, status of its edit page)
MATRIX = {
    "admin": (True, 200),
    "manager": (True, 200),
    "rep_a": (True, 200),
    "rep_b": (False, 404),
    "marketer": (True, 403),
    "support_agent": (False, 404),
}


@pytest.fixture
def users(request, teams) -> dict:
    return {role: request.getfixturevalue(role) for role in ROLES}


@pytest.fixture
def lead(rep_a) -> Lead:
    return make_lead(
        owner=rep_a, last_name="Quimby", company="Zyxwell", website="https://zyx.example"
    )


def url(name: str, *args) -> str:
    return reverse(name, args=args)


@pytest.mark.parametrize("role", ROLES)
def test_pages_follow_the_role(web_client, users, lead, role):
    sees, edit = MATRIX[role]
    client = web_client(users[role])

    listed = client.get(url("lead_list"))
    searched = client.get(url("search"), {"q": "Quimby"})

    assert listed.status_code == 200
    assert ("Quimby" in listed.content.decode()) is sees
    assert (url("lead_detail", lead.pk) in searched.content.decode()) is sees
    assert client.get(url("lead_detail", lead.pk)).status_code == (200 if sees else 404)
    assert client.get(url("lead_status_changes", lead.pk)).status_code == (200 if sees else 404)
    assert client.get(url("lead_edit", lead.pk)).status_code == edit
    assert client.get(url("lead_delete", lead.pk)).status_code == edit
    assert client.get(url("lead_convert", lead.pk)).status_code == edit


def test_detail_shows_status_actions_score_and_timeline(web_client, rep_a, lead):
    make_scoring_rule(name="Has a company", field="company", operator="is_set", points=7)
    Lead.objects.filter(pk=lead.pk).update(
        score=7,
        grade="C",
        score_breakdown=[
            {"rule": 1, "name": "Has a company", "category": "fit", "points": 7, "matched": True}
        ],
    )

    page = web_client(rep_a).get(url("lead_detail", lead.pk)).content.decode()

    for text in ("Mark contacted", "Qualify", "Mark unqualified", "Has a company", "Grade C"):
        assert text in page
    assert "Convert to customer" not in page  # only qualified leads convert


def test_create_form_shows_errors_inline_and_stores_nothing(web_client, rep_a):
    response = web_client(rep_a).post(
        url("lead_create"),
        {"last_name": "X", "email": "not-an-email", "owner": rep_a.pk, "source": "manual"},
    )

    assert response.status_code == 422
    assert "id_email_errors" in response.content.decode()
    assert not Lead.objects.exists()


def test_create_form_without_owner_lets_the_rules_assign(web_client, admin, rep_b):
    make_assignment_rule("round_robin", [rep_b])

    response = web_client(admin).post(
        url("lead_create"), {"last_name": "Routed", "owner": "", "source": "manual"}
    )

    lead = Lead.objects.get(last_name="Routed")
    assert response.status_code == 302
    assert lead.owner == rep_b


def test_status_actions(web_client, rep_a, rep_b, lead):
    client = web_client(rep_a)

    refused = client.post(
        url("lead_status", lead.pk), {"status": "unqualified", "reason": "", "version": 1}
    )
    lead.refresh_from_db()
    assert refused.status_code == 302 and lead.status == "open"

    client.post(url("lead_status", lead.pk), {"status": "contacted", "version": 1})
    lead.refresh_from_db()
    assert lead.status == "contacted"

    other = web_client(rep_b).post(url("lead_status", lead.pk), {"status": "open", "version": 2})
    assert other.status_code == 404


def test_the_convert_dialog_shows_candidates_and_converts(web_client, rep_a, lead):
    Lead.objects.filter(pk=lead.pk).update(status="qualified")
    account = make_account(owner=rep_a, name="Zyx GmbH", domain="zyx.example")
    client = web_client(rep_a)

    dialog = client.get(url("lead_convert", lead.pk), headers=HTMX)
    assert dialog.status_code == 200
    assert "Zyx GmbH (same website domain)" in dialog.content.decode()

    response = client.post(
        url("lead_convert", lead.pk),
        {"account": account.pk, "create_opportunity": "on", "amount": "1200"},
        headers=HTMX,
    )

    assert response.status_code == 200
    assert response["HX-Redirect"] == url("lead_detail", lead.pk)
    lead.refresh_from_db()
    assert lead.converted_account == account
    assert lead.converted_opportunity.amount == 1200


def test_the_convert_dialog_reports_refusals(web_client, rep_a, lead):
    client = web_client(rep_a)

    blocked = client.get(url("lead_convert", lead.pk), headers=HTMX)
    refused = client.post(url("lead_convert", lead.pk), {"create_opportunity": "on"}, headers=HTMX)

    assert "Only qualified leads can be converted" in blocked.content.decode()
    assert refused.status_code == 409
    assert not Account.objects.exists()


def test_a_converted_lead_is_read_only_in_the_ui(web_client, rep_a):
    account = make_account(owner=rep_a, name="Became")
    lead = make_lead(
        owner=rep_a, status="qualified", converted_at=timezone.now(), converted_account=account
    )
    client = web_client(rep_a)

    page = client.get(url("lead_detail", lead.pk)).content.decode()
    edit = client.get(url("lead_edit", lead.pk))
    inline = client.get(url("lead_field", lead.pk, "title"), {"edit": "1"}, headers=HTMX)
    delete = client.post(url("lead_delete", lead.pk))

    assert "read-only" in page and "Became" in page
    assert url("lead_edit", lead.pk) not in page
    assert edit.status_code == delete.status_code == 302
    assert inline.status_code == 409
    assert Lead.objects.filter(pk=lead.pk).exists()


def test_export_has_only_visible_leads(web_client, rep_a, rep_b, lead):
    make_lead(owner=rep_b, last_name="Hidden")

    response = web_client(rep_a).get(url("lead_export"))

    text = b"".join(response.streaming_content).decode()
    assert [row["last_name"] for row in csv.DictReader(io.StringIO(text))] == ["Quimby"]


def test_list_filters_and_score_sort(web_client, admin, rep_a):
    make_lead(owner=rep_a, last_name="Hotter", score=90, grade="A")
    make_lead(owner=rep_a, last_name="Colder", score=10, grade="C")
    client = web_client(admin)

    page = client.get(url("lead_list"), {"ordering": "-score"}).content.decode()
    graded = client.get(url("lead_list"), {"grade": "a"}).content.decode()

    assert page.index("Hotter") < page.index("Colder")
    assert "Hotter" in graded and "Colder" not in graded


# -- settings ---------------------------------------------------------------------------------


def test_scoring_settings(web_client, admin, rep_a):
    make_scoring_rule(name="Seniority", field="title", operator="contains", value=["vp"], points=9)
    rep_page = web_client(rep_a).get(url("scoring_rule_list")).content.decode()
    assert "Seniority" in rep_page and url("scoring_rule_create") not in rep_page
    assert web_client(rep_a).get(url("scoring_rule_create")).status_code == 403
    client = web_client(admin)

    bad = client.post(
        url("scoring_rule_create"),
        {"name": "x", "field": "employees", "operator": "contains", "value": "5", "points": 1},
    )
    good = client.post(
        url("scoring_rule_create"),
        {"name": "Big", "field": "employees", "operator": "gte", "value": "500", "points": 12,
         "is_active": "on"},
    )  # fmt: skip
    grade = client.post(url("lead_grade_create"), {"letter": "A", "min_score": 50})

    assert bad.status_code == 422 and "For employees choose one of" in bad.content.decode()
    assert good.status_code == grade.status_code == 302
    assert ScoringRule.objects.get(name="Big").value == "500"
    assert LeadGrade.objects.get().letter == "A"


def test_assignment_settings_and_tester(web_client, admin, rep_a, rep_b):
    client = web_client(admin)

    missing = client.post(
        url("assignment_rule_create"), {"name": "x", "kind": "territory", "position": 0}
    )
    created = client.post(
        url("assignment_rule_create"),
        {"name": "France", "kind": "territory", "position": 0, "countries": "France",
         "assignees": [rep_b.pk], "is_active": "on"},
    )  # fmt: skip
    tested = web_client(rep_a).post(url("assignment_rule_test"), {"country": "FR"}, headers=HTMX)

    assert missing.status_code == 422
    assert created.status_code == 302
    rule = AssignmentRule.objects.get()
    assert (rule.countries, list(rule.assignees.all())) == (["FR"], [rep_b])
    assert "France" in tested.content.decode() and str(rep_b) in tested.content.decode()
    assert web_client(rep_a).get(url("assignment_rule_list")).status_code == 200
    assert web_client(rep_a).get(url("assignment_rule_create")).status_code == 403


# -- query counts -----------------------------------------------------------------------------


def _count(client, path: str, headers: dict | None = None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path, headers=headers)
    assert response.status_code == 200
    return len(captured.captured_queries)


def _add(owner, count: int) -> None:
    tags = [Tag.objects.get_or_create(name=name)[0] for name in ("hot", "fair")]
    for _ in range(count):
        make_lead(owner=owner, score=3, grade="C").tags.set(tags)


@pytest.mark.parametrize("role", ["admin", "manager", "rep_a"])
@pytest.mark.parametrize("partial", [False, True])
def test_list_query_count_does_not_grow_with_rows(web_client, users, role, partial):
    client = web_client(users[role])
    path = url("lead_list") + "?ordering=-score&cols=name,company,status,score,grade,owner,tags"
    headers = HTMX if partial else None
    _add(users["rep_a"], 2)
    client.get(path, headers=headers)
    with_two = _count(client, path, headers)

    _add(users["rep_a"], 8)

    assert _count(client, path, headers) == with_two
