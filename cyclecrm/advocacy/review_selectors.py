"""Reads for review policies, requests, reviews, testimonials and rating summaries.

Reviews are scoped by the `review` record type (everyone reads them; marketing and managers
moderate). Requests are visible with their contact. Testimonials are approved reviews the
customer allowed us to publish, and show the name and company only as they allowed."""

from dataclasses import dataclass
from typing import Any

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from cyclecrm.advocacy.models import Review, ReviewPolicy, ReviewRequest, ReviewStatus
from cyclecrm.core.errors import NotFound, ValidationFailed
from cyclecrm.feedback.services.answers import LinkState
from cyclecrm.feedback.tokens import token_hash, token_well_formed
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.loyalty.access import restrict_to_contacts

MAX_TESTIMONIALS = 5000


def review_policy_list(*, actor: User, action: str = Action.READ) -> QuerySet[ReviewPolicy]:
    return access.restrict(ReviewPolicy.objects.all(), actor, action)


def review_policy_get(*, actor: User, pk: Any, action: str = Action.READ) -> ReviewPolicy:
    policy = None
    if str(pk).isdigit():
        policy = review_policy_list(actor=actor, action=action).filter(pk=pk).first()
    if policy is None:
        raise NotFound("No review policy with this id.")
    return policy


def review_request_list(*, actor: User) -> QuerySet[ReviewRequest]:
    """Requests of contacts the actor may read, newest first."""
    requests = ReviewRequest.objects.select_related("contact", "policy")
    return restrict_to_contacts(requests, actor)


@dataclass(frozen=True)
class ReviewFilters:
    status: str | None = None
    rating: int | None = None
    account: int | None = None
    product: int | None = None
    contact: int | None = None
    featured: bool | None = None

    def apply(self, reviews: QuerySet[Review]) -> QuerySet[Review]:
        if self.status is not None:
            if self.status not in ReviewStatus.values:
                raise ValidationFailed(
                    fields={"status": [f"Choose one of: {', '.join(ReviewStatus.values)}."]}
                )
            reviews = reviews.filter(status=self.status)
        if self.rating is not None:
            if not 1 <= self.rating <= 5:
                raise ValidationFailed(fields={"rating": ["Choose a rating from 1 to 5."]})
            reviews = reviews.filter(rating=self.rating)
        for name in ("account", "product", "contact"):
            value = getattr(self, name)
            if value is not None:
                reviews = reviews.filter(**{f"{name}_id": value})
        if self.featured is not None:
            reviews = reviews.filter(featured=self.featured)
        return reviews


def review_list(
    *, actor: User, filters: ReviewFilters | None = None, action: str = Action.READ
) -> QuerySet[Review]:
    reviews = access.restrict(Review.objects.all(), actor, action)
    reviews = (filters or ReviewFilters()).apply(reviews)
    return reviews.select_related("contact", "account", "product", "moderated_by")


def review_get(*, actor: User, pk: Any, action: str = Action.READ) -> Review:
    review = None
    if str(pk).isdigit():
        review = review_list(actor=actor, action=action).filter(pk=pk).first()
    if review is None:
        raise NotFound("No review with this id.")
    return review


def testimonial_list(*, actor: User) -> list[dict[str, Any]]:
    """Approved reviews with permission to publish, featured first, as a website shows them:
    the author's name and company only where the customer allowed each. Needs the `export`
    right on reviews."""
    reviews = (
        access.restrict(Review.objects.all(), actor, Action.EXPORT)
        .filter(status=ReviewStatus.APPROVED, publish_consent=True)
        .select_related("contact", "account", "product")
        .order_by("-featured", "-submitted_at", "-id")[:MAX_TESTIMONIALS]
    )
    return [testimonial_row(review) for review in reviews]


def testimonial_row(review: Review) -> dict[str, Any]:
    contact = review.contact
    name = " ".join(part for part in (contact.first_name, contact.last_name) if part)
    return {
        "id": review.pk,
        "rating": review.rating,
        "title": review.title,
        "text": review.text,
        "author": name if review.publish_name else "",
        "company": review.account.name if review.publish_company and review.account else "",
        "product": review.product.name if review.product else "",
        "featured": review.featured,
        "submitted_on": review.submitted_at.date(),
    }


def review_summary(
    *, actor: User, account: int | None = None, product: int | None = None
) -> dict[str, Any]:
    """Approved reviews' count, average rating and count per star for an account or a
    product (or all), in one aggregate query; `pending` counts reviews awaiting moderation."""
    reviews = access.restrict(Review.objects.all(), actor)
    if account is not None:
        reviews = reviews.filter(account_id=account)
    if product is not None:
        reviews = reviews.filter(product_id=product)
    approved = Q(status=ReviewStatus.APPROVED)
    figures = reviews.aggregate(
        count=Count("id", filter=approved),
        average=Avg("rating", filter=approved),
        pending=Count("id", filter=Q(status=ReviewStatus.PENDING)),
        **{f"stars_{n}": Count("id", filter=approved & Q(rating=n)) for n in range(1, 6)},
    )
    average = figures["average"]
    return {
        "count": figures["count"],
        "average": round(float(average), 2) if average is not None else None,
        "pending": figures["pending"],
        "by_rating": {str(n): figures[f"stars_{n}"] for n in range(1, 6)},
    }


def review_request_for_token(token: str) -> tuple[ReviewRequest | None, LinkState]:
    """The request a review link belongs to and whether it can still be answered. Malformed,
    unknown and never-sent tokens are all `UNKNOWN`, so links cannot be probed."""
    if not token_well_formed(token):
        return None, LinkState.UNKNOWN
    request = (
        ReviewRequest.objects.select_related("contact", "contact__account")
        .filter(token_hash=token_hash(token), sent_at__isnull=False)
        .first()
    )
    if request is None:
        return None, LinkState.UNKNOWN
    if request.answered_at is not None:
        return request, LinkState.ANSWERED
    if request.expires_at <= timezone.now():
        return request, LinkState.EXPIRED
    return request, LinkState.OPEN
