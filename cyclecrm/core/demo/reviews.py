"""Demo step for reviews: the review request policies (won deal, onboarding, promoter NPS, by
hand) and about 40 answered review requests with their reviews over the last six months, mostly
approved, a few featured, rejected or still awaiting moderation, with varied permissions to
publish. Bulk-inserted like the other demo steps: demo data is not a user's change."""

import datetime as dt
import random

from cyclecrm.advocacy.models import (
    Review,
    ReviewPolicy,
    ReviewRequest,
    ReviewStatus,
    ReviewTrigger,
)
from cyclecrm.catalog.models import Product
from cyclecrm.contacts.models import Contact
from cyclecrm.core.demo.context import DemoContext
from cyclecrm.feedback.tokens import token_new

REVIEWS = 40
DAYS = 182
RATING_WEIGHTS = [1, 1, 3, 8, 12]
TITLES = ["Great partner", "Does what it says", "Good, with room to improve", "Fast support", ""]
TEXTS = [
    "The team understood what we needed and delivered on time.",
    "Setup took a little longer than planned, but the result is solid.",
    "Support answered within the hour every time we asked.",
    "We use it every day; the reports save us hours each week.",
    "Good value. The onboarding could be shorter.",
]
POLICIES = [
    ("After a won deal", ReviewTrigger.OPPORTUNITY_WON, 14, "How was buying from us?"),
    ("After onboarding", ReviewTrigger.ONBOARDING_COMPLETED, 3, "How was getting started?"),
    ("Promoters", ReviewTrigger.NPS_PROMOTER, 1, "Would you share what you like about us?"),
    ("Asked by hand", ReviewTrigger.MANUAL, 0, "Would you share your experience with us?"),
]


def build_reviews(context: DemoContext) -> None:
    rng = context.rng("reviews")
    owner = context.users.get("admin")
    policies = [
        ReviewPolicy(
            name=name,
            trigger=trigger,
            delay_days=delay,
            email_subject=subject,
            email_intro="Thank you for working with us.",
            owner=owner,
            created_by=owner,
        )
        for name, trigger, delay, subject in POLICIES
    ]
    ReviewPolicy.objects.bulk_create(policies)
    contacts = list(
        Contact.objects.filter(account__isnull=False)
        .exclude(email="")
        .order_by("id")
        .values_list("id", "account_id", "owner_id")[:300]
    )
    if not contacts:
        return
    products = list(Product.objects.order_by("id").values_list("id", flat=True)[:10])
    picked = rng.sample(contacts, min(REVIEWS, len(contacts)))
    requests, reviews = [], []
    for contact_id, account_id, owner_id in picked:
        request, review = _pair(context, rng, policies, products, contact_id, account_id)
        review.owner_id = owner_id
        requests.append(request)
        reviews.append(review)
    ReviewRequest.objects.bulk_create(requests)
    for request, review in zip(requests, reviews, strict=True):
        review.request = request
    Review.objects.bulk_create(reviews)
    context.counts["reviews"] = len(reviews)


def _pair(
    context: DemoContext,
    rng: random.Random,
    policies: list[ReviewPolicy],
    products: list[int],
    contact_id: int,
    account_id: int,
) -> tuple[ReviewRequest, Review]:
    policy = rng.choice(policies[:3])
    sent_at = context.now - dt.timedelta(days=rng.uniform(2, DAYS))
    answered_at = sent_at + dt.timedelta(hours=rng.uniform(1, 72))
    request = ReviewRequest(
        policy=policy,
        trigger=policy.trigger,
        contact_id=contact_id,
        account_id=account_id,
        token_hash=token_new()[1],
        due_at=sent_at,
        sent_at=sent_at,
        expires_at=sent_at + dt.timedelta(days=policy.link_valid_days),
        answered_at=answered_at,
        created_at=sent_at,
    )
    rating = rng.choices(range(1, 6), weights=RATING_WEIGHTS)[0]
    consent = rng.random() < 0.75
    status = rng.choices(
        [ReviewStatus.APPROVED, ReviewStatus.PENDING, ReviewStatus.REJECTED], weights=[7, 2, 1]
    )[0]
    review = Review(
        contact_id=contact_id,
        account_id=account_id,
        product_id=rng.choice(products) if products and rng.random() < 0.5 else None,
        rating=rating,
        title=rng.choice(TITLES),
        text=rng.choice(TEXTS),
        publish_consent=consent,
        publish_name=consent and rng.random() < 0.6,
        publish_company=consent and rng.random() < 0.5,
        status=status,
        featured=status == ReviewStatus.APPROVED and consent and rating == 5 and rng.random() < 0.4,
        rejection_reason="Mentions a person by name." if status == ReviewStatus.REJECTED else "",
        moderated_at=answered_at + dt.timedelta(days=1) if status != ReviewStatus.PENDING else None,
        submitted_at=answered_at,
        created_at=answered_at,
        updated_at=answered_at,
    )
    return request, review
