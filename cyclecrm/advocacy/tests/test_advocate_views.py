"""The advocates page (ranking, filters, fixed query count), its actions (static list, tag,
refresh) and the "Log a social mention" form; the contact page's advocacy card."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from cyclecrm.activities.models import Channel, Direction, Interaction
from cyclecrm.advocacy.advocates import advocate_scores_refresh
from cyclecrm.advocacy.models import AdvocateScore
from cyclecrm.advocacy.tests.advocate_data import nps
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.integrations.tests.conftest import huey_immediate  # noqa: F401 (fixture)
from cyclecrm.segments.models import Segment, SegmentKind, SegmentMember

pytestmark = pytest.mark.django_db
PAGE = reverse("advocate_list")


def _advocate(owner, name, score, **fields):
    contact = make_contact(owner, first_name=name, last_name="Z", **fields)
    AdvocateScore.objects.create(contact=contact, score=score, promoter_answers=2, mentions=7)
    return contact


def test_the_page_ranks_visible_advocates_with_their_components(web_client, rep_a, rep_b):
    _advocate(rep_a, "Low", 5)
    _advocate(rep_a, "High", 60)
    _advocate(rep_b, "Hidden", 90)
    html = web_client(rep_a).get(PAGE).content.decode()
    assert html.index("High Z") < html.index("Low Z")
    assert "Hidden Z" not in html
    assert ">60.0<" in html and ">7<" in html
    assert "Refresh scores" not in html  # reps may not refresh


def test_filters_narrow_the_ranking(web_client, admin, rep_b):
    _advocate(admin, "Big", 60)
    _advocate(rep_b, "Small", 5)
    client = web_client(admin)
    html = client.get(PAGE, {"min_score": "10"}).content.decode()
    assert "Big Z" in html and "Small Z" not in html
    html = client.get(PAGE, {"owner": rep_b.pk}).content.decode()
    assert "Small Z" in html and "Big Z" not in html
    assert client.get(PAGE, {"min_score": "abc"}).status_code == 200  # a bad filter is ignored


def test_the_page_takes_the_same_queries_for_few_or_many_advocates(web_client, marketer):
    client = web_client(marketer)
    _advocate(marketer, "One", 1)
    client.get(PAGE)  # warm the caches of the session
    with CaptureQueriesContext(connection) as few:
        client.get(PAGE)
    for i in range(30):
        _advocate(marketer, f"P{i}", i + 2)
    with CaptureQueriesContext(connection) as many:
        response = client.get(PAGE)
    assert response.content.decode().count('name="contact_ids"') == 31
    assert len(many) == len(few) <= 14


def test_marketing_adds_the_selected_advocates_to_a_static_list(web_client, marketer):
    fans = [_advocate(marketer, f"F{i}", 10 + i) for i in range(3)]
    case_study = Segment.objects.create(name="Case study", kind=SegmentKind.STATIC, owner=marketer)
    response = web_client(marketer).post(
        reverse("advocate_selection"),
        {"action": "list", "segment": case_study.pk, "contact_ids": [fans[0].pk, fans[2].pk]},
    )
    assert response.status_code == 302
    response = web_client(marketer).post(
        reverse("advocate_selection"), {"action": "list", "contact_ids": [fans[1].pk]}, follow=True
    )
    assert "Choose a static list." in response.content.decode()
    members = set(
        SegmentMember.objects.filter(segment=case_study).values_list("contact_id", flat=True)
    )
    assert members == {fans[0].pk, fans[2].pk}


def test_tagging_tags_what_the_user_may_edit(web_client, rep_a, rep_b):
    own = _advocate(rep_a, "Own", 10)
    other = _advocate(rep_b, "Other", 10)
    client = web_client(rep_a)
    response = client.post(
        reverse("advocate_selection"),
        {"action": "tag", "tag": "community", "contact_ids": [own.pk]},
        follow=True,
    )
    assert "Tagged 1 with" in response.content.decode()
    assert [tag.name for tag in own.tags.all()] == ["community"]
    # a contact the rep may not read is refused, and nothing is tagged
    response = client.post(
        reverse("advocate_selection"),
        {"action": "tag", "tag": "community", "contact_ids": [own.pk, other.pk]},
        follow=True,
    )
    assert f"No contact you may see with id {other.pk}" in response.content.decode()
    assert not other.tags.exists()


def test_tagging_skips_contacts_a_marketer_may_only_read(web_client, marketer, rep_a):
    fan = _advocate(rep_a, "Fan", 10)
    response = web_client(marketer).post(
        reverse("advocate_selection"),
        {"action": "tag", "tag": "vip", "contact_ids": [fan.pk]},
        follow=True,
    )
    assert "1 not tagged: you may not edit them" in response.content.decode()
    assert not fan.tags.exists()


def test_refresh_button_queues_the_job_for_marketers_only(
    web_client,
    marketer,
    rep_a,
    huey_immediate,  # noqa: F811 (the fixture imported above)
):
    fan = make_contact(rep_a)
    nps(fan, 10)
    assert web_client(rep_a).post(reverse("advocate_refresh")).status_code == 403
    html = web_client(marketer).get(PAGE).content.decode()
    assert "Refresh scores" in html
    assert web_client(marketer).post(reverse("advocate_refresh")).status_code == 302
    assert AdvocateScore.objects.get(contact=fan).promoter_answers == 1


def test_log_a_social_mention_from_the_contact(web_client, rep_a, rep_b):
    fan = make_contact(rep_a)
    url = reverse("advocate_mention", args=[fan.pk])
    client = web_client(rep_a)
    assert client.post(url, {"subject": ""}).status_code == 422
    response = client.post(url, {"subject": "https://social.example/post/1", "body": "Loves it"})
    assert response.status_code == 302
    mention = Interaction.objects.get(contact=fan)
    assert (mention.channel, mention.direction) == (Channel.SOCIAL, Direction.INBOUND)
    advocate_scores_refresh()
    assert AdvocateScore.objects.get(contact=fan).mentions == 1
    assert web_client(rep_b).get(url).status_code == 404


def test_the_contact_page_shows_the_advocacy_card(web_client, rep_a):
    fan = _advocate(rep_a, "Card", 33.3)
    html = web_client(rep_a).get(reverse("contact_detail", args=[fan.pk])).content.decode()
    assert 'id="advocacy"' in html and "33.3" in html
    assert reverse("advocate_mention", args=[fan.pk]) in html
