"""Referral pages: the program's figures with top referrers and the referrals table (keyset
pages, status filter), and the contact page's "create a code" button. Thin over
loyalty.referral_selectors and loyalty.referrals."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.loyalty import referral_selectors as selectors
from cyclecrm.loyalty.models import ReferralStatus
from cyclecrm.loyalty.referrals import referral_code_create
from cyclecrm.web.errors import crm_view

PER_PAGE = 50
ORDERINGS = orderings_with_reverse({"created_at": ("created_at", "id")})


@crm_view
def referral_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    status = request.GET.get("status", "")
    if status not in ReferralStatus.values:
        status = ""
    page = paginate(
        selectors.referral_list(actor=actor, status=status or None),
        orderings=ORDERINGS,
        ordering=None,
        default_ordering="-created_at",
        limit=PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    context = {
        "page": page,
        "status": status,
        "statuses": ReferralStatus.choices,
        "stats": selectors.referral_stats(actor=actor),
    }
    return render(request, "loyalty/referral_list.html", context)


@crm_view
@require_POST
def referral_code_create_view(request: HttpRequest, contact_id: int) -> HttpResponse:
    contact = selectors.visible_contact(actor=request.user, pk=contact_id)
    code = referral_code_create(actor=request.user, contact=contact)
    messages.success(request, f"Referral code {code.code} created.")
    return redirect("contact_detail", contact.pk)
