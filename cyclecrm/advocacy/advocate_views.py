"""Advocacy pages: the advocates ranked by score (filters, keyset pages, components), the
actions marketing takes on a selection (add to a static list, tag), the Refresh button, and the
"Log a social mention" form on a contact."""

from typing import Any

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from cyclecrm.advocacy import advocate_selectors as selectors
from cyclecrm.advocacy import advocate_services as services
from cyclecrm.advocacy.advocates import can_refresh, require_refresh
from cyclecrm.contacts.models import Account
from cyclecrm.core.errors import ValidationFailed
from cyclecrm.core.pagination import paginate
from cyclecrm.identity.selectors import user_list
from cyclecrm.segments import selectors as segment_selectors
from cyclecrm.web.errors import crm_view

ADVOCATES_PER_PAGE = 50


class AdvocateFilterForm(forms.Form):
    min_score = forms.FloatField(required=False, min_value=0, label="Minimum score")
    account = forms.IntegerField(required=False, min_value=1)
    owner = forms.IntegerField(required=False, min_value=1)

    def filters(self) -> selectors.AdvocateFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.AdvocateFilters(
            min_score=data.get("min_score"),
            account_id=data.get("account"),
            owner_id=data.get("owner"),
        )


class SelectionForm(forms.Form):
    contact_ids = forms.TypedMultipleChoiceField(coerce=int, choices=(), required=True)
    action = forms.ChoiceField(choices=(("list", "Add to list"), ("tag", "Tag")))
    segment = forms.IntegerField(required=False, min_value=1)
    tag = forms.CharField(required=False, max_length=64)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        ids = self.data.getlist("contact_ids") if hasattr(self.data, "getlist") else []
        self.fields["contact_ids"].choices = [(pk, pk) for pk in ids if str(pk).isdigit()]


class MentionForm(forms.Form):
    subject = forms.CharField(
        max_length=300, help_text="Where and what, e.g. a link to the post.", label="Mention"
    )
    body = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))
    occurred_at = forms.DateTimeField(required=False, label="When (default: now)")


@crm_view
def advocate_list(request: HttpRequest) -> HttpResponse:
    actor = request.user
    form = AdvocateFilterForm(request.GET or None)
    filters = form.filters() if form.is_bound else selectors.AdvocateFilters()
    page = paginate(
        selectors.advocate_list(actor=actor, filters=filters),
        orderings=selectors.ADVOCATE_ORDERINGS,
        ordering=None,
        default_ordering="-score",
        limit=ADVOCATES_PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    query = request.GET.copy()
    query.pop("cursor", None)
    context = {
        "page": page,
        "form": form,
        "filters": filters,
        "query": query.urlencode(),
        "accounts": _accounts(filters),
        "owners": user_list(actor=actor, is_active=True).order_by("username")[:200],
        "lists": segment_selectors.editable_static_lists(actor=actor)[:100],
        "can_refresh": can_refresh(actor),
    }
    return render(request, "advocacy/advocate_list.html", context)


def _accounts(filters: selectors.AdvocateFilters) -> list[Account]:
    """The chosen account, for the filter's label (the filter takes any account id)."""
    if filters.account_id is None:
        return []
    return list(Account.objects.filter(pk=filters.account_id).only("id", "name"))


@crm_view
@require_POST
def advocate_refresh(request: HttpRequest) -> HttpResponse:
    from cyclecrm.advocacy.tasks import refresh_advocate_scores

    require_refresh(request.user)
    refresh_advocate_scores()
    messages.success(request, "Advocate scores are being refreshed (see Background jobs).")
    return redirect("advocate_list")


@crm_view
@require_POST
def advocate_selection(request: HttpRequest) -> HttpResponse:
    form = SelectionForm(request.POST)
    back = request.POST.get("next") or reverse("advocate_list")
    if not back.startswith("/"):
        back = reverse("advocate_list")
    if not form.is_valid():
        messages.error(request, "Select at least one advocate and an action.")
        return redirect(back)
    data = form.cleaned_data
    try:
        if data["action"] == "list":
            added = services.advocates_add_to_list(
                actor=request.user, segment_id=data["segment"], contact_ids=data["contact_ids"]
            )
            messages.success(request, f"{added} added to the list.")
        else:
            result = services.advocates_tag(
                actor=request.user, contact_ids=data["contact_ids"], tag=data["tag"]
            )
            messages.success(request, _tag_message(result, data["tag"]))
    except ValidationFailed as exc:
        for reasons in exc.fields.values():
            for reason in reasons:
                messages.error(request, reason)
    return redirect(back)


def _tag_message(result: services.TagResult, tag: str) -> str:
    text = f"Tagged {result.tagged} with '{tag.strip()}'"
    if result.already:
        text += f"; {result.already} had it already"
    if result.not_editable:
        text += f"; {result.not_editable} not tagged: you may not edit them"
    return text + "."


@crm_view
def advocate_mention(request: HttpRequest, pk: int) -> HttpResponse:
    contact = selectors.visible_contact(actor=request.user, contact_id=pk)
    form = MentionForm(request.POST or None, initial={"occurred_at": timezone.now()})
    if request.method == "POST" and form.is_valid():
        data = {key: value for key, value in form.cleaned_data.items() if value not in (None, "")}
        try:
            services.advocate_mention_log(actor=request.user, contact=contact, data=data)
        except ValidationFailed as exc:
            for name, reasons in exc.fields.items():
                for reason in reasons:
                    form.add_error(name if name in form.fields else None, reason)
        else:
            messages.success(request, "Social mention logged.")
            return redirect("contact_detail", pk=contact.pk)
    status = 422 if request.method == "POST" else 200
    context = {"form": form, "contact": contact}
    return render(request, "advocacy/advocate_mention.html", context, status=status)
