"""A/B tests of mailings: the seeded split, variants through the real SMTP test server, the
verdict after the waiting period, the winner sent to the rest exactly once (automatically, by
API or by the page), validation and permissions."""

import datetime as dt
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cyclecrm.core.testing.factories import make_contact, make_user
from cyclecrm.identity.models import Role
from cyclecrm.mailings.models import AbState, Mailing, MailingStatus, RecipientState
from cyclecrm.mailings.services.abtest import mailings_evaluate_ab_tests
from cyclecrm.mailings.services.audience import mailing_start
from cyclecrm.mailings.services.mailings import mailing_create
from cyclecrm.mailings.services.sending import mailing_send_batch
from cyclecrm.mailings.tests.conftest import HTML, consenting
from cyclecrm.segments.models import Segment, SegmentKind, SegmentMember

pytestmark = pytest.mark.django_db
JSON = "application/json"
PEOPLE = 40
LATER = dt.timedelta(hours=3)


@pytest.fixture
def crowd_segment(marketer) -> Segment:
    """40 contacts who may get mail and two who may not."""
    contacts = [
        consenting(marketer, first_name=f"P{n}", email=f"p{n}@example.com") for n in range(PEOPLE)
    ]
    contacts += [make_contact(marketer, email=f"nc{n}@example.com") for n in range(2)]
    segment = Segment.objects.create(name="Crowd", kind=SegmentKind.STATIC, owner=marketer)
    SegmentMember.objects.bulk_create(
        SegmentMember(segment=segment, contact=contact) for contact in contacts
    )
    return segment


def ab_mailing(marketer, segment, **settings) -> Mailing:
    data = {
        "name": "Spring sale",
        "subject": "Spring for {{ contact.first_name }}",
        "from_name": "Cycle News",
        "from_email": "news@shop.example",
        "html_body": HTML,
        "segment_id": segment.pk,
        "variants": [
            {"subject": "Alpha for {{ contact.first_name }}"},
            {"subject": "Beta for {{ contact.first_name }}", "from_name": "Bea at Cycle"},
        ],
        "ab_test_share": 50,
        "ab_seed": "spring",
        "ab_wait_hours": 2,
        **settings,
    }
    return mailing_create(actor=marketer, data=data)


def decisive(marketer, segment, **settings) -> Mailing:
    """Small groups that can still decide: a large minimum effect needs few messages."""
    return ab_mailing(marketer, segment, ab_min_sample=5, ab_min_effect=0.5, **settings)


def send_test_groups(actor, mailing: Mailing) -> Mailing:
    mailing_start(actor=actor, mailing=mailing)
    mailing_send_batch(mailing_id=mailing.pk)
    mailing.refresh_from_db()
    return mailing


def open_all(mailing: Mailing, label: str) -> None:
    mailing.recipients.filter(variant=label, held_back=False).update(
        first_opened_at=timezone.now(), open_count=1
    )


def by_address(server) -> dict[str, str]:
    return {mail.rcpt_tos[0]: mail.message["Subject"] for mail in server.received}


def test_split_is_reproducible_with_the_seed_and_respects_the_share(marketer, crowd_segment):
    first = ab_mailing(marketer, crowd_segment)
    again = ab_mailing(marketer, crowd_segment)
    other = ab_mailing(marketer, crowd_segment, ab_seed="autumn")

    for mailing in (first, again, other):
        mailing_start(actor=marketer, mailing=mailing)

    def split(mailing):
        return dict(mailing.recipients.values_list("contact_id", "variant"))

    groups = Counter(first.recipients.values_list("variant", "state"))
    assert groups == {
        ("A", RecipientState.PENDING): 10,
        ("B", RecipientState.PENDING): 10,
        (None, RecipientState.HELD): 20,
        (None, RecipientState.SUPPRESSED): 2,
    }
    assert first.recipients.filter(held_back=True).count() == 20
    assert split(first) == split(again)
    assert split(first) != split(other)
    first.refresh_from_db()
    assert first.ab_state == AbState.TESTING


def test_variants_reach_the_smtp_server_and_the_rest_waits(marketer, crowd_segment, smtp_server):
    mailing = send_test_groups(marketer, ab_mailing(marketer, crowd_segment))

    subjects = by_address(smtp_server)
    assert len(subjects) == 20
    for recipient in mailing.recipients.filter(held_back=False, variant__isnull=False):
        name = recipient.contact.first_name
        expected = {"A": f"Alpha for {name}", "B": f"Beta for {name}"}[recipient.variant]
        assert subjects[recipient.email] == expected
    senders = {mail.message["From"] for mail in smtp_server.received}
    assert senders == {"Cycle News <news@shop.example>", "Bea at Cycle <news@shop.example>"}
    assert mailing.status == MailingStatus.SENT and mailing.ab_state == AbState.WAITING
    assert mailing.ab_evaluate_at > timezone.now() + dt.timedelta(hours=1, minutes=59)
    assert mailing.recipients.filter(state=RecipientState.HELD).count() == 20


def test_too_little_data_names_no_winner_and_sends_nothing_more(
    marketer, crowd_segment, smtp_server
):
    mailing = send_test_groups(marketer, ab_mailing(marketer, crowd_segment))
    open_all(mailing, "B")  # B looks far better, but 10 messages a variant are too few

    evaluated = mailings_evaluate_ab_tests(now=timezone.now() + LATER)

    mailing.refresh_from_db()
    assert evaluated == [mailing.pk]
    assert mailing.ab_state == AbState.AWAITING_CHOICE and mailing.ab_winner == ""
    assert "every variant needs at least" in mailing.ab_reason
    assert len(smtp_server.received) == 20
    assert mailing.recipients.filter(state=RecipientState.HELD).count() == 20
    assert mailings_evaluate_ab_tests(now=timezone.now() + LATER) == []


def test_automatic_winner_after_the_wait_reaches_each_remaining_recipient_once(
    marketer, crowd_segment, smtp_server
):
    mailing = send_test_groups(marketer, decisive(marketer, crowd_segment))
    open_all(mailing, "B")

    early = mailings_evaluate_ab_tests(now=timezone.now())
    due = mailings_evaluate_ab_tests(now=timezone.now() + LATER)
    mailing.refresh_from_db()
    sending_again = mailing.status
    mailing_send_batch(mailing_id=mailing.pk)
    mailings_evaluate_ab_tests(now=timezone.now() + LATER)
    mailing_send_batch(mailing_id=mailing.pk)

    mailing.refresh_from_db()
    assert early == [] and due == [mailing.pk]
    assert sending_again == MailingStatus.SENDING
    assert mailing.ab_state == AbState.WINNER_SENT and mailing.ab_winner == "B"
    assert mailing.status == MailingStatus.SENT and "B beats A" in mailing.ab_reason
    rcpts = Counter(address for mail in smtp_server.received for address in mail.rcpt_tos)
    assert len(rcpts) == PEOPLE and set(rcpts.values()) == {1}
    subjects = by_address(smtp_server)
    for recipient in mailing.recipients.filter(held_back=True):
        assert recipient.variant == "B" and recipient.state == RecipientState.SENT
        assert subjects[recipient.email].startswith("Beta for ")


def test_results_api_and_manual_winner_by_api(api_client, marketer, crowd_segment, smtp_server):
    mailing = send_test_groups(marketer, ab_mailing(marketer, crowd_segment, ab_metric="click"))
    mailing.recipients.filter(variant="A", held_back=False).update(
        first_clicked_at=timezone.now(), click_count=1
    )
    mailings_evaluate_ab_tests(now=timezone.now() + LATER)
    client = api_client(marketer)
    base = f"/api/v1/mailings/{mailing.pk}"

    results = client.get(f"{base}/ab-results").json()
    unknown = client.post(f"{base}/ab-winner", {"variant": "Z"}, content_type=JSON)
    chosen = client.post(f"{base}/ab-winner", {"variant": "A"}, content_type=JSON)
    twice = client.post(f"{base}/ab-winner", {"variant": "B"}, content_type=JSON)
    mailing_send_batch(mailing_id=mailing.pk)

    assert results["verdict"] == "not_enough_data" and results["winner"] is None
    assert results["metric"] == "click" and results["state"] == AbState.AWAITING_CHOICE
    a, b = results["variants"]
    assert (a["label"], a["sent"], a["clicked"], a["rate"]) == ("A", 10, 10, 1.0)
    assert b["clicked"] == 0 and b["difference"] == -1.0 and b["p_value"] < 0.001
    assert 0 < a["ci_low"] < a["ci_high"] == 1.0 and a["probability_best"] > 0.99
    assert results["held_back"] == 20 and results["required_per_variant"] > 0
    assert unknown.status_code == 422 and "variant" in unknown.json()["error"]["fields"]
    assert chosen.status_code == 200 and chosen.json()["ab_winner"] == "A"
    assert twice.status_code == 422 and "status" in twice.json()["error"]["fields"]
    assert len(smtp_server.received) == PEOPLE
    assert mailing.recipients.filter(held_back=True, variant="A", state="sent").count() == 20


def test_manual_winner_from_the_page(web_client, marketer, crowd_segment, smtp_server):
    mailing = send_test_groups(marketer, decisive(marketer, crowd_segment, ab_auto_winner=False))
    open_all(mailing, "B")
    mailings_evaluate_ab_tests(now=timezone.now() + LATER)
    client = web_client(marketer)

    page = client.get(f"/mailings/{mailing.pk}/").content.decode()
    posted = client.post(f"/mailings/{mailing.pk}/action/", {"action": "ab_winner", "variant": "B"})
    mailing_send_batch(mailing_id=mailing.pk)
    after = client.get(f"/mailings/{mailing.pk}/").content.decode()

    assert "Winner: B" in page and "Automatic sending is off" in page
    assert "Send B to the rest" in page and 'data-variant="A"' in page
    assert posted.status_code == 302
    assert len(smtp_server.received) == PEOPLE
    assert "sent to the rest" in after and "Send B to the rest" not in after


def test_no_ab_results_without_variants(api_client, marketer, mailing):
    response = api_client(marketer).get(f"/api/v1/mailings/{mailing.pk}/ab-results")

    assert response.status_code == 404


def test_only_editors_send_a_winner(api_client, web_client, marketer, rep_a, crowd_segment):
    mailing = send_test_groups(marketer, ab_mailing(marketer, crowd_segment))
    mailings_evaluate_ab_tests(now=timezone.now() + LATER)
    reader_role = Role.objects.create(
        name="mailing_reader", label="Mailing reader", permissions={"mailing": {"read": "all"}}
    )
    reader = make_user("reader")
    reader.roles.add(reader_role)
    base = f"/api/v1/mailings/{mailing.pk}"
    body = {"variant": "A"}

    outsider = api_client(rep_a).post(f"{base}/ab-winner", body, content_type=JSON)
    outsider_results = api_client(rep_a).get(f"{base}/ab-results")
    read_only = api_client(reader).post(f"{base}/ab-winner", body, content_type=JSON)
    read_results = api_client(reader).get(f"{base}/ab-results")
    read_token = api_client(marketer, scope="read").post(
        f"{base}/ab-winner", body, content_type=JSON
    )
    page = web_client(reader).get(f"/mailings/{mailing.pk}/").content.decode()
    page_post = web_client(reader).post(
        f"/mailings/{mailing.pk}/action/", {"action": "ab_winner", "variant": "A"}
    )

    assert outsider.status_code == 404 and outsider_results.status_code == 404
    # like the other mailing actions: what the actor may not edit is not found for editing
    assert read_only.status_code == 404 and read_results.status_code == 200
    assert read_token.status_code == 403
    assert "A/B test" in page and "to the rest</button>" not in page
    assert page_post.status_code == 404
    mailing.refresh_from_db()
    assert mailing.ab_state == AbState.AWAITING_CHOICE
    assert mailing.recipients.filter(state=RecipientState.HELD).count() == 20


def test_create_and_update_validate_variants_and_settings(api_client, marketer, segment):
    client = api_client(marketer)
    base = {"name": "T", "subject": "S", "segment_id": segment.pk, "html_body": "<p>x</p>"}

    bad = client.post(
        "/api/v1/mailings",
        {
            **base,
            "variants": [{"subject": "Fine"}, {"subject": "{% if %}"}, {}],
            "ab_test_share": 0,
            "ab_alpha": 0.5,
        },
        content_type=JSON,
    )
    single = client.post(
        "/api/v1/mailings", {**base, "variants": [{"subject": "x"}]}, content_type=JSON
    )
    created = client.post(
        "/api/v1/mailings",
        {**base, "variants": [{"subject": "One"}, {"html_body": "<p>Two</p><script>x</script>"}],
         "ab_metric": "conversion"},
        content_type=JSON,
    )  # fmt: skip
    body = created.json()
    cleared = client.patch(
        f"/api/v1/mailings/{body['id']}", {"variants": [], "version": body["version"]},
        content_type=JSON,
    )  # fmt: skip

    assert bad.status_code == 422
    assert set(bad.json()["error"]["fields"]) == {
        "variants[1].subject", "variants[2]", "ab_test_share", "ab_alpha"
    }  # fmt: skip
    assert single.status_code == 422 and set(single.json()["error"]["fields"]) == {"variants"}
    assert created.status_code == 201 and body["ab_metric"] == "conversion"
    assert [v["label"] for v in body["variants"]] == ["A", "B"]
    assert body["variants"][1]["html_body"] == "<p>Two</p>"
    assert cleared.status_code == 200 and cleared.json()["variants"] == []


def test_list_query_count_does_not_grow_with_variants(api_client, marketer, segment):
    client = api_client(marketer)

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get("/api/v1/mailings").status_code == 200
        return len(queries)

    ab_mailing(marketer, segment)
    count()  # warm the per-user caches
    one = count()
    for _ in range(3):
        ab_mailing(marketer, segment)
    assert count() == one


def test_the_editor_saves_variants_and_shows_their_errors(web_client, marketer, segment):
    client = web_client(marketer)
    form = {
        "name": "Editor test", "subject": "Hello", "segment": segment.pk,
        "html_body": "<p>Hi</p>", "rate_per_minute": 60, "ab_test_share": 30,
        "ab_metric": "click", "ab_wait_hours": 1, "ab_min_sample": 50, "ab_min_effect": 0.05,
        "variant_a_subject": "First", "variant_c_subject": "Third",
        "variant_c_from_name": "Cy",
    }  # fmt: skip

    bad = client.post("/mailings/new/", {**form, "variant_c_subject": "{% if %}"})
    saved = client.post("/mailings/new/", form)
    mailing = Mailing.objects.get(name="Editor test")
    edit_page = client.get(f"/mailings/{mailing.pk}/edit/").content.decode()

    assert bad.status_code == 200
    assert "Template error" in bad.context["form"].errors["variant_c_subject"][0]
    assert saved.status_code == 302
    assert mailing.ab_metric == "click" and mailing.ab_test_share == 30
    assert mailing.ab_auto_winner is False  # an unticked checkbox
    assert list(mailing.variants.values_list("label", "subject", "from_name")) == [
        ("A", "First", ""), ("B", "Third", "Cy"),
    ]  # fmt: skip
    assert 'value="Third"' in edit_page
