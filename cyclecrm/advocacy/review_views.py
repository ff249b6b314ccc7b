"""Review pages: the moderation queue (filters, keyset pages, htmx actions answering with the
updated row), review detail, testimonials download, review policies (settings), and the
"Ask for a review" and "Log a review" actions of the contact page. Thin over the services."""

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from cyclecrm.advocacy import review_requests as requests_service
from cyclecrm.advocacy import review_selectors as selectors
from cyclecrm.advocacy import reviews as reviews_service
from cyclecrm.advocacy.models import Review, ReviewPolicy, ReviewStatus
from cyclecrm.advocacy.review_export import testimonials_csv
from cyclecrm.advocacy.review_forms import ReviewFilterForm, ReviewLogForm, ReviewPolicyForm
from cyclecrm.contacts.models import Contact
from cyclecrm.core.errors import CrmError, Forbidden, NotFound
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web.errors import crm_view, is_htmx

REVIEWS_PER_PAGE = 50
REVIEW_ORDERINGS = orderings_with_reverse({"submitted_at": ("submitted_at", "id")})
MODERATIONS = ("approve", "reject", "feature", "unfeature")


def _row(request: HttpRequest, review: Review, error: str = "") -> dict[str, Any]:
    return {
        "review": review,
        "can_moderate": access.can(request.user, Action.EDIT, review),
        "error": error,
    }


@crm_view
def review_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    form = ReviewFilterForm(request.GET or {"status": ReviewStatus.PENDING})
    filters = form.filters() if form.is_valid() else selectors.ReviewFilters()
    page = paginate(
        selectors.review_list(actor=actor, filters=filters),
        orderings=REVIEW_ORDERINGS,
        ordering=None,
        default_ordering="-submitted_at",
        limit=REVIEWS_PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    may_moderate = access.level(actor, Review.record_type, Action.EDIT) != Level.NONE
    query = {k: v for k, v in form.data.items() if k != "cursor"}
    context = {
        "form": form,
        "rows": [
            {"review": review, "can_moderate": may_moderate, "error": ""} for review in page.items
        ],
        "page": page,
        "next_query": urlencode({**query, "cursor": page.next_cursor or ""}),
        "summary": selectors.review_summary(actor=actor),
        "can_export": access.level(actor, Review.record_type, Action.EXPORT) != Level.NONE,
    }
    return render(request, "advocacy/review_list.html", context)


@crm_view
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review = selectors.review_get(actor=request.user, pk=pk)
    context = {
        **_row(request, review),
        "contact_visible": access.can(request.user, Action.READ, review.contact),
        "testimonial": selectors.testimonial_row(review),
    }
    return render(request, "advocacy/review_detail.html", context)


@crm_view
@require_POST
def review_moderate(request: HttpRequest, pk: int, action: str) -> HttpResponse:
    if action not in MODERATIONS:
        raise NotFound()
    review = selectors.review_get(actor=request.user, pk=pk)
    error = ""
    try:
        review = _apply(request, review, action)
    except CrmError as exc:
        if isinstance(exc, Forbidden | NotFound):
            raise
        error = "; ".join(r for reasons in exc.fields.values() for r in reasons) or exc.message
    if is_htmx(request):
        # The row, and the summary line above the table out of band (its counts just changed).
        context = {
            "row": _row(request, review, error),
            "summary": selectors.review_summary(actor=request.user),
        }
        return render(request, "advocacy/review_moderated.html", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Review {action.removesuffix('e')}ed.")
    return redirect("review_detail", pk=review.pk)


def _apply(request: HttpRequest, review: Review, action: str) -> Review:
    actor = request.user
    if action == "approve":
        return reviews_service.review_approve(actor=actor, review=review)
    if action == "reject":
        reason = request.POST.get("reason", "")
        return reviews_service.review_reject(actor=actor, review=review, reason=reason)
    featured = action == "feature"
    return reviews_service.review_feature(actor=actor, review=review, featured=featured)


@crm_view
def review_export(request: HttpRequest) -> HttpResponse:
    if access.level(request.user, Review.record_type, Action.EXPORT) == Level.NONE:
        raise Forbidden("You may not export reviews.")
    return testimonials_csv(selectors.testimonial_list(actor=request.user))


@crm_view
def review_policy_list(request: HttpRequest) -> HttpResponse:
    policies = selectors.review_policy_list(actor=request.user).order_by("name", "id")
    can_create = access.level(request.user, ReviewPolicy.record_type, Action.CREATE) != Level.NONE
    context = {"policies": policies, "can_create": can_create}
    return render(request, "advocacy/review_policy_list.html", context)


@crm_view
def review_policy_edit(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    actor = request.user
    policy = selectors.review_policy_get(actor=actor, pk=pk, action=Action.EDIT) if pk else None
    if policy is None and access.level(actor, "review_policy", Action.CREATE) == Level.NONE:
        raise Forbidden("You may not create review policies.")
    initial: dict[str, Any] = {}
    if policy is not None:
        initial = {name: getattr(policy, name) for name in ReviewPolicyForm.base_fields}
    form = ReviewPolicyForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            if policy is None:
                policy = requests_service.review_policy_create(actor=actor, data=form.cleaned_data)
            else:
                policy = requests_service.review_policy_update(
                    actor=actor, policy=policy, data=form.cleaned_data
                )
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            for name, reasons in exc.fields.items():
                for reason in reasons:
                    form.add_error(name if name in form.fields else None, reason)
        else:
            messages.success(request, "Review policy saved.")
            return redirect("review_policy_list")
    title = str(policy) if policy else "New review policy"
    context = {"form": form, "title": title, "policy": policy}
    return render(request, "advocacy/review_policy_form.html", context)


@crm_view
@require_POST
def review_policy_delete(request: HttpRequest, pk: int) -> HttpResponse:
    policy = selectors.review_policy_get(actor=request.user, pk=pk)
    requests_service.review_policy_delete(actor=request.user, policy=policy)
    messages.success(request, f"Review policy “{policy.name}” deleted.")
    return redirect("review_policy_list")


def _contact(request: HttpRequest, pk: int) -> Contact:
    contact = access.restrict(Contact.objects.filter(pk=pk), request.user).first()
    if contact is None:
        raise NotFound("No contact with this id.")
    return contact


@crm_view
@require_POST
def contact_review_ask(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    try:
        requests_service.review_request_manual(actor=request.user, contact=contact)
    except CrmError as exc:
        if isinstance(exc, Forbidden | NotFound):
            raise
        messages.error(request, f"No review request sent: {exc.message}")
    else:
        messages.success(request, f"Review request sent to {contact.email}.")
    return redirect("contact_detail", pk=contact.pk)


@crm_view
def contact_review_log(request: HttpRequest, pk: int) -> HttpResponse:
    contact = _contact(request, pk)
    if access.level(request.user, Review.record_type, Action.CREATE) == Level.NONE:
        raise Forbidden("You may not log reviews.")
    form = ReviewLogForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            review = reviews_service.review_log(
                actor=request.user, contact=contact, data=form.cleaned_data
            )
        except CrmError as exc:
            if isinstance(exc, Forbidden) and not exc.fields:
                raise
            for name, reasons in exc.fields.items():
                for reason in reasons:
                    form.add_error(name if name in form.fields else None, reason)
        else:
            messages.success(request, "Review logged; it awaits moderation.")
            return redirect("review_detail", pk=review.pk)
    context = {"form": form, "contact": contact}
    return render(request, "advocacy/review_log_form.html", context)
