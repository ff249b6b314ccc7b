"""Review queue pages: the queue (open clusters, best score first, keyset pages), a cluster
compared field by field with a choice per field and Merge / Not duplicates, Scan now, and the
undo of a merge. Thin views over selectors and services."""

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from cyclecrm.core.errors import CrmError, ValidationFailed
from cyclecrm.core.pagination import paginate
from cyclecrm.dataquality.duplicates import selectors, services
from cyclecrm.dataquality.duplicates.flagging import record_url
from cyclecrm.dataquality.duplicates.forms import MergeForm, QueueFilterForm
from cyclecrm.dataquality.duplicates.merge import MERGE_TYPES
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level
from cyclecrm.web.errors import crm_view

CLUSTERS_PER_PAGE = 50


@crm_view
def duplicate_queue(request: HttpRequest) -> HttpResponse:
    filters = QueueFilterForm(request.GET or None)
    record_type = filters.cleaned_data["record_type"] if filters.is_valid() else ""
    page = paginate(
        selectors.cluster_list(actor=request.user, record_type=record_type or None),
        orderings=selectors.CLUSTER_ORDERINGS,
        ordering=None,
        default_ordering="score",
        limit=CLUSTERS_PER_PAGE,
        cursor=request.GET.get("cursor") or None,
    )
    context = {
        "page": page,
        "filters": filters,
        "record_type": record_type,
        "types": MERGE_TYPES,
        "can_review": access.level(request.user, "duplicate", Action.EDIT) != Level.NONE,
    }
    return render(request, "dataquality/duplicates/queue.html", context)


@crm_view
def duplicate_cluster(request: HttpRequest, pk: int) -> HttpResponse:
    actor = request.user
    cluster = selectors.cluster_get(actor=actor, pk=pk)
    records = selectors.cluster_records(actor=actor, cluster=cluster)
    comparison = selectors.cluster_comparison(actor, cluster, records)
    form = MergeForm(request.POST or None, comparison=comparison)
    if request.method == "POST" and form.is_valid():
        try:
            merges = services.cluster_merge(
                actor=actor,
                cluster=cluster,
                survivor_id=form.cleaned_data["survivor_id"],
                choices=form.choices(),
            )
        except CrmError as exc:
            form.add_error(None, exc.message)
            for name, reasons in exc.fields.items():
                for reason in reasons:
                    form.add_error(None, f"{name}: {reason}")
        else:
            messages.success(request, f"Merged {len(merges)} record(s).")
            return redirect("duplicate_merge", pk=merges[-1].pk)
    context = {
        "cluster": cluster,
        "comparison": comparison,
        "form": form,
        "merges": cluster.merges.all(),
        "missing": len(cluster.record_ids) - len(records),
    }
    return render(request, "dataquality/duplicates/cluster.html", context)


@crm_view
@require_POST
def duplicate_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = selectors.cluster_get(actor=request.user, pk=pk, action=Action.EDIT)
    try:
        services.cluster_dismiss(actor=request.user, cluster=cluster)
        messages.success(request, "Marked as not duplicates; the scan will not propose them again.")
    except CrmError as exc:
        messages.error(request, exc.message)
    return redirect("duplicate_queue")


@crm_view
@require_POST
def duplicate_merge_batch(request: HttpRequest) -> HttpResponse:
    """The queue page's "Merge these clusters" (htmx): the clusters shown, merged by one job.
    A refusal of the ids (merged meanwhile) is shown in place; no right to review is a 403."""
    ids = [int(pk) for pk in request.POST.getlist("cluster_ids") if pk.isdigit()]
    try:
        services.clusters_merge_batch(actor=request.user, cluster_ids=ids)
    except ValidationFailed as exc:
        reasons = [reason for values in exc.fields.values() for reason in values]
        context = {"error": " ".join([exc.message, *reasons]).strip()}
    else:
        context = {"queued": len(set(ids))}
    return render(request, "dataquality/duplicates/_merge_batch.html", context)


@crm_view
@require_POST
def duplicate_scan(request: HttpRequest) -> HttpResponse:
    try:
        services.scan_request(actor=request.user, record_type=request.POST.get("record_type", ""))
        messages.success(request, "Scan started; the queue fills when it finishes.")
    except CrmError as exc:
        messages.error(request, exc.message)
    return redirect("duplicate_queue")


@crm_view
def duplicate_merge(request: HttpRequest, pk: int) -> HttpResponse:
    merge = selectors.merge_get(actor=request.user, pk=pk)
    context = {
        "merge": merge,
        "survivor_url": record_url(merge.record_type, merge.survivor_id),
        "merged_url": record_url(merge.record_type, merge.merged_id),
    }
    return render(request, "dataquality/duplicates/merge.html", context)


@crm_view
@require_POST
def duplicate_merge_undo(request: HttpRequest, pk: int) -> HttpResponse:
    merge = selectors.merge_get(actor=request.user, pk=pk)
    try:
        services.merge_revert(actor=request.user, merge=merge)
        messages.success(request, "Merge undone: both records and their related rows are back.")
    except CrmError as exc:
        messages.error(request, exc.message)
    return redirect("duplicate_merge", pk=merge.pk)
