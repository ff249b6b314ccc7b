"""REST routes of privacy rights, mounted at /api/v1/privacy by `dataquality.api`: consent
history (list, record, CSV), subject access export, erasure and retention policies."""

from typing import Any, Literal

from django.http import HttpRequest, StreamingHttpResponse
from ninja import Query, Router, Status

from cyclecrm.api.lists import CSV_RESPONSE_DOC, PageParams, csv_response
from cyclecrm.api.schemas import cursor_page, error_responses
from cyclecrm.contacts.selectors import contact_get
from cyclecrm.core.errors import NotFound
from cyclecrm.core.pagination import orderings_with_reverse, paginate
from cyclecrm.dataquality.privacy import selectors, services
from cyclecrm.dataquality.privacy.consent_csv import consent_csv_lines
from cyclecrm.dataquality.privacy.schemas import (
    ConsentCreateIn,
    ConsentOut,
    DryCountOut,
    ErasureOut,
    RetentionPolicyIn,
    RetentionPolicyOut,
    RetentionPolicyPatchIn,
    RetentionRunOut,
)
from cyclecrm.identity.models import Action

router = Router(tags=["privacy"])

ConsentPage = cursor_page(ConsentOut)
CONSENT_ORDERINGS = orderings_with_reverse({"recorded_at": ("recorded_at", "id")})
ConsentOrdering = Literal[tuple(CONSENT_ORDERINGS)]


@router.get(
    "/contacts/{contact_id}/consents",
    response={200: ConsentPage, **error_responses(404, 422)},
    operation_id="list_contact_consents",
    summary="A contact's consent history",
)
def list_contact_consents(
    request: HttpRequest,
    contact_id: int,
    page: Query[PageParams],
    ordering: ConsentOrdering | None = None,
) -> dict[str, Any]:
    contact = contact_get(actor=request.auth, pk=contact_id)
    result = paginate(
        selectors.consent_list(actor=request.auth, contact=contact),
        orderings=CONSENT_ORDERINGS,
        ordering=ordering,
        default_ordering="-recorded_at",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {
        "items": [ConsentOut.from_orm(row) for row in result.items],
        "next_cursor": result.next_cursor,
    }


@router.post(
    "/contacts/{contact_id}/consents",
    response={201: ConsentOut, **error_responses(403, 404, 409, 422)},
    operation_id="create_contact_consent",
    summary="Record consent given or withdrawn",
    description="E-mail, phone and SMS update the contact's flag too; profiling is kept here.",
)
def create_contact_consent(
    request: HttpRequest, contact_id: int, payload: ConsentCreateIn
) -> Status:
    contact = contact_get(actor=request.auth, pk=contact_id)
    record = services.consent_record_create(
        actor=request.auth, contact=contact, **payload.model_dump()
    )
    return Status(201, ConsentOut.from_orm(record))


@router.get(
    "/contacts/{contact_id}/consents.csv",
    response={200: str, **error_responses(404)},
    operation_id="export_contact_consents",
    summary="A contact's consent history as CSV",
    openapi_extra=CSV_RESPONSE_DOC,
)
def export_contact_consents(request: HttpRequest, contact_id: int) -> StreamingHttpResponse:
    contact = contact_get(actor=request.auth, pk=contact_id, action=Action.EXPORT)
    rows = selectors.consent_list(actor=request.auth, contact=contact)
    return csv_response(consent_csv_lines(rows), f"consents-{contact.pk}")


@router.get(
    "/contacts/{contact_id}/export",
    response={200: dict, **error_responses(404)},
    operation_id="export_contact_data",
    summary="Subject access: everything held about a contact",
    description="One JSON document (format `cyclecrm.subject-access/1`, see docs/privacy.md).",
)
def export_contact_data(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    return selectors.contact_export(actor=request.auth, pk=contact_id)


@router.post(
    "/contacts/{contact_id}/erase",
    response={200: ErasureOut, **error_responses(403, 404)},
    operation_id="erase_contact",
    summary="Erase a contact's personal data",
    description="Anonymizes the contact and its personal data on related records; "
    "aggregates stay. Needs the contact delete right at level all (admins).",
)
def erase_contact(request: HttpRequest, contact_id: int) -> dict[str, Any]:
    contact = contact_get(actor=request.auth, pk=contact_id)
    rows = services.contact_erase(actor=request.auth, contact=contact)
    return {"contact_id": contact.pk, "rows": rows}


@router.get(
    "/retention-policies",
    response={200: list[RetentionPolicyOut], **error_responses(403)},
    operation_id="list_retention_policies",
    summary="Retention policies",
)
def list_retention_policies(request: HttpRequest) -> list[Any]:
    return list(selectors.retention_policy_list(actor=request.auth))


@router.post(
    "/retention-policies",
    response={201: RetentionPolicyOut, **error_responses(403, 422)},
    operation_id="create_retention_policy",
    summary="Create a retention policy",
)
def create_retention_policy(request: HttpRequest, payload: RetentionPolicyIn) -> Status:
    policy = services.retention_policy_save(actor=request.auth, data=payload.model_dump())
    return Status(201, policy)


@router.get(
    "/retention-policies/dry-count",
    response={200: DryCountOut, **error_responses(403, 422)},
    operation_id="count_retention_matches",
    summary="How many records a policy would handle now",
)
def count_retention_matches(
    request: HttpRequest,
    record_type: Literal["lead", "contact", "interaction", "case", "form_submission"],
    max_age_days: int,
) -> dict[str, Any]:
    matched = services.retention_dry_count(
        actor=request.auth, record_type=record_type, max_age_days=max_age_days
    )
    return {"record_type": record_type, "max_age_days": max_age_days, "matched": matched}


def _policy(request: HttpRequest, policy_id: int) -> Any:
    policy = selectors.retention_policy_list(actor=request.auth).filter(pk=policy_id).first()
    if policy is None:
        raise NotFound("No retention policy with this id.")
    return policy


@router.patch(
    "/retention-policies/{policy_id}",
    response={200: RetentionPolicyOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_retention_policy",
    summary="Change a retention policy",
)
def update_retention_policy(
    request: HttpRequest, policy_id: int, payload: RetentionPolicyPatchIn
) -> Any:
    data = payload.model_dump(exclude_unset=True, exclude_none=True)
    version = data.pop("version")
    return services.retention_policy_save(
        actor=request.auth, policy=_policy(request, policy_id), data=data, version=version
    )


@router.delete(
    "/retention-policies/{policy_id}",
    response={204: None, **error_responses(403, 404)},
    operation_id="delete_retention_policy",
    summary="Delete a retention policy",
)
def delete_retention_policy(request: HttpRequest, policy_id: int) -> Status:
    services.retention_policy_delete(actor=request.auth, policy=_policy(request, policy_id))
    return Status(204, None)


@router.post(
    "/retention-policies/{policy_id}/run",
    response={200: RetentionRunOut, **error_responses(403, 404, 422)},
    operation_id="run_retention_policy",
    summary="Run a retention policy now (or count with dry_run)",
)
def run_retention_policy(request: HttpRequest, policy_id: int, dry_run: bool = False) -> Any:
    policy = _policy(request, policy_id)
    return services.retention_policy_run(actor=request.auth, policy=policy, dry_run=dry_run)
