import io

import pytest
from django.core.management import call_command

from cyclecrm.advocacy import review_selectors
from cyclecrm.advocacy.models import Review, ReviewPolicy, ReviewStatus, ReviewTrigger

pytestmark = pytest.mark.django_db


def test_demo_builds_policies_and_moderated_reviews() -> None:
    call_command(
        "demo", "--contacts", "60", "--accounts", "6", stdout=io.StringIO(), stderr=io.StringIO()
    )
    assert set(ReviewPolicy.objects.values_list("trigger", flat=True)) == set(ReviewTrigger.values)
    reviews = list(Review.objects.select_related("contact", "account", "product", "request"))
    assert 20 <= len(reviews) <= 40
    assert {r.status for r in reviews} >= {ReviewStatus.APPROVED, ReviewStatus.PENDING}
    assert all(r.request.answered_at == r.submitted_at for r in reviews)
    # featured only when publishable; no name shown without permission
    assert all(r.publish_consent and r.status == "approved" for r in reviews if r.featured)
    assert all(
        review_selectors.testimonial_row(r)["author"] == "" for r in reviews if not r.publish_name
    )
