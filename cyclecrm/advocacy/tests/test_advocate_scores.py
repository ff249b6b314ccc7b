"""The advocacy score: formula, recency decay, zero rows, idempotence, chunking, the
`contact.advocate_reached` event and who may refresh."""

import datetime as dt
import io

import pytest
from django.core.management import call_command

from cyclecrm.activities.models import Direction
from cyclecrm.advocacy import advocates
from cyclecrm.advocacy.advocates import advocate_scores_refresh, score_breakdown
from cyclecrm.advocacy.models import AdvocateScore, ReviewStatus
from cyclecrm.advocacy.tests.advocate_data import NOW, mention, months_ago, nps, referral, review
from cyclecrm.core import events
from cyclecrm.core.errors import Forbidden
from cyclecrm.core.testing.factories import make_contact
from cyclecrm.loyalty.models import ReferralStatus

pytestmark = pytest.mark.django_db


def _score(contact):
    return AdvocateScore.objects.filter(contact=contact).first()


def test_every_signal_adds_its_points_and_counts_into_its_component(admin):
    # given a promoter, a 5-star review they allow us to publish, a converted referral and
    # two social mentions, all this month
    anna = make_contact(admin)
    nps(anna, 10)
    review(anna, 5, consent=True)
    referral(anna)
    mention(anna)
    mention(anna)
    # when
    result = advocate_scores_refresh(now=NOW)
    # then 10 + (3 x 3 + 3) + 15 + 2 x 4
    row = _score(anna)
    assert row.score == 45.0
    assert (row.promoter_answers, row.reviews, row.referrals, row.mentions) == (1, 1, 1, 2)
    assert result.as_dict() == {"scored": 1, "changed": 1, "removed": 0}


def test_weak_or_unapproved_signals_do_not_count(admin):
    ben = make_contact(admin)
    review(ben, 2)  # approved but poor: no advocacy
    review(ben, 5, status=ReviewStatus.PENDING)
    review(ben, 5, status=ReviewStatus.REJECTED)
    mention(ben, direction=Direction.OUTBOUND)  # our own post, not theirs
    nps(ben, 8)  # passive
    referral(ben, status=ReferralStatus.REFUSED)
    advocate_scores_refresh(now=NOW)
    assert _score(ben) is None


def test_pending_referrals_add_a_little_without_counting_as_referrals(admin):
    carl = make_contact(admin)
    referral(carl, status=ReferralStatus.PENDING)
    advocate_scores_refresh(now=NOW)
    row = _score(carl)
    assert row.score == 3.0 and row.referrals == 0


def test_signals_lose_half_their_weight_every_six_months_and_vanish_after_two_years(admin):
    dora = make_contact(admin)
    nps(dora, 9, at=months_ago(6))
    referral(dora, at=months_ago(12))
    mention(dora, at=months_ago(24))  # outside the window
    mention(dora, at=NOW + dt.timedelta(days=1))  # not yet
    advocate_scores_refresh(now=NOW)
    row = _score(dora)
    assert row.score == 5.0 + 3.8  # 10 / 2 + 15 / 4 (rounded to one decimal)
    assert row.mentions == 0


def test_detractors_subtract_and_the_score_never_goes_below_zero(admin):
    eve, finn = make_contact(admin), make_contact(admin)
    nps(eve, 10)
    mention(eve)
    nps(eve, 3, at=months_ago(1))
    nps(finn, 0)
    advocate_scores_refresh(now=NOW)
    assert _score(eve).score == round(10 + 4 - 10 * 0.5 ** (1 / 6), 1)
    assert _score(finn) is None


def test_a_rerun_changes_nothing_and_a_score_falling_to_zero_removes_the_row(admin):
    gus = make_contact(admin)
    response = nps(gus, 10)
    advocate_scores_refresh(now=NOW)
    stamped = _score(gus).computed_at
    again = advocate_scores_refresh(now=NOW.replace(day=20))
    assert again.as_dict() == {"scored": 1, "changed": 0, "removed": 0}
    assert _score(gus).computed_at == stamped
    response.delete()
    gone = advocate_scores_refresh(now=NOW)
    assert gone.removed == 1 and _score(gus) is None
    assert advocate_scores_refresh(now=NOW).as_dict() == {"scored": 0, "changed": 0, "removed": 0}


def test_contacts_are_scored_a_window_of_ids_at_a_time(admin, monkeypatch):
    monkeypatch.setattr(advocates, "CHUNK", 2)
    people = [make_contact(admin) for _ in range(5)]
    for person in people:
        nps(person, 10)
    result = advocate_scores_refresh(now=NOW)
    assert result.scored == 5
    assert AdvocateScore.objects.filter(score=10.0).count() == 5


def test_crossing_the_threshold_is_announced_after_the_first_run(
    admin, django_capture_on_commit_callbacks
):
    heard = []
    events.subscribe(advocates.EVENT_ADVOCATE_REACHED, heard.append)
    try:
        ida, jon = make_contact(admin), make_contact(admin)
        nps(ida, 10)
        with django_capture_on_commit_callbacks(execute=True):
            advocate_scores_refresh(now=NOW)  # the baseline: nobody is announced
        referral(ida)
        referral(jon)
        with django_capture_on_commit_callbacks(execute=True):
            advocate_scores_refresh(now=NOW)
    finally:
        events.unsubscribe(advocates.EVENT_ADVOCATE_REACHED, heard.append)
    assert [(e.object_id, e.data) for e in heard] == [
        (ida.pk, {"score": 25.0, "previous_score": 10.0})
    ]


def test_only_who_may_moderate_every_review_refreshes(manager, marketer, rep_a):
    assert advocate_scores_refresh(actor=manager, now=NOW).scored == 0
    assert advocate_scores_refresh(actor=marketer, now=NOW).scored == 0
    with pytest.raises(Forbidden):
        advocate_scores_refresh(actor=rep_a, now=NOW)


def test_the_breakdown_explains_each_signal(admin):
    kim = make_contact(admin)
    nps(kim, 10, at=months_ago(6))
    review(kim, 4)
    referral(kim, status=ReferralStatus.PENDING)
    parts = {row["signal"]: row for row in score_breakdown(contact=kim, now=NOW)}
    assert parts["promoter"] == {
        "signal": "promoter", "component": "promoter_answers", "count": 1, "points": 5.0
    }  # fmt: skip
    assert parts["review"]["points"] == 6.0
    assert parts["referral_pending"]["points"] == 3.0
    assert parts["mention"]["count"] == 0


def test_the_command_prints_what_it_did(admin):
    nps(make_contact(admin), 10)
    out = io.StringIO()
    call_command("advocates", "refresh", stdout=out)
    assert out.getvalue().strip() == "1 advocates scored, 1 changed, 0 removed."
