"""REST endpoints for the lead configuration: scoring rules, grade bands and assignment rules.
Everyone who works with leads may read them; changing them takes the `all` level (admins)."""

from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from cyclecrm.api.lists import PageParams, page_body
from cyclecrm.api.schemas import RecordId, cursor_page, error_responses, visible_record
from cyclecrm.core.pagination import paginate
from cyclecrm.leads import selectors, services
from cyclecrm.leads.schemas import (
    AssignmentRuleCreateIn,
    AssignmentRuleOut,
    AssignmentRulePatchIn,
    AssignmentTestIn,
    AssignmentTestOut,
    GradeCreateIn,
    GradeOut,
    GradePatchIn,
    RescoreOut,
    ScoringRuleCreateIn,
    ScoringRuleOut,
    ScoringRulePatchIn,
)

scoring_rules_router = Router(tags=["lead scoring"])
grades_router = Router(tags=["lead scoring"])
assignment_rules_router = Router(tags=["lead assignment"])

ScoringRulePage = cursor_page(ScoringRuleOut)
GradePage = cursor_page(GradeOut)
AssignmentRulePage = cursor_page(AssignmentRuleOut)
RESCORE_DOC = "The stored lead scores are recomputed after the change."


# -- scoring rules ----------------------------------------------------------------------------


@scoring_rules_router.get(
    "",
    response={200: ScoringRulePage, **error_responses(422)},
    operation_id="list_scoring_rules",
    summary="List scoring rules",
)
def list_scoring_rules(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.scoring_rule_list(actor=request.auth),
        ScoringRuleOut,
        page=page,
        orderings=selectors.SCORING_RULE_ORDERINGS,
        ordering=None,
        default_ordering="id",
    )


@scoring_rules_router.post(
    "",
    response={201: ScoringRuleOut, **error_responses(403, 422)},
    operation_id="create_scoring_rule",
    summary="Create a scoring rule",
    description=RESCORE_DOC,
)
def create_scoring_rule(request: HttpRequest, payload: ScoringRuleCreateIn) -> Status:
    rule = services.scoring_rule_create(
        actor=request.auth, data=payload.model_dump(exclude_unset=True)
    )
    return Status(201, visible_record(request.auth, rule, ScoringRuleOut))


@scoring_rules_router.post(
    "/rescore",
    response={200: RescoreOut, **error_responses(403)},
    operation_id="rescore_leads",
    summary="Recompute every lead's score now",
)
def rescore_leads(request: HttpRequest) -> dict[str, int]:
    return {"changed": services.leads_rescore(actor=request.auth)}


@scoring_rules_router.get(
    "/{id}",
    response={200: ScoringRuleOut, **error_responses(404, 422)},
    operation_id="get_scoring_rule",
    summary="Get one scoring rule",
)
def get_scoring_rule(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    rule = selectors.scoring_rule_get(actor=request.auth, pk=id)
    return visible_record(request.auth, rule, ScoringRuleOut)


@scoring_rules_router.patch(
    "/{id}",
    response={200: ScoringRuleOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_scoring_rule",
    summary="Update a scoring rule",
    description=RESCORE_DOC,
)
def update_scoring_rule(
    request: HttpRequest, payload: ScoringRulePatchIn, id: int = RecordId
) -> dict[str, Any]:
    rule = selectors.scoring_rule_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    rule = services.scoring_rule_update(actor=request.auth, rule=rule, data=data, version=version)
    return visible_record(request.auth, rule, ScoringRuleOut)


@scoring_rules_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_scoring_rule",
    summary="Delete a scoring rule",
    description=RESCORE_DOC,
)
def delete_scoring_rule(request: HttpRequest, id: int = RecordId) -> Status:
    rule = selectors.scoring_rule_get(actor=request.auth, pk=id)
    services.scoring_rule_delete(actor=request.auth, rule=rule)
    return Status(204, None)


# -- grades -----------------------------------------------------------------------------------


@grades_router.get(
    "",
    response={200: GradePage, **error_responses(422)},
    operation_id="list_lead_grades",
    summary="List grade bands",
    description="Highest first. A lead gets the highest band whose `min_score` it reaches.",
)
def list_lead_grades(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    result = paginate(
        selectors.grade_list(actor=request.auth),
        orderings=selectors.GRADE_ORDERINGS,
        ordering="-min_score",
        default_ordering="-min_score",
        limit=page.limit,
        cursor=page.cursor,
    )
    return {"items": result.items, "next_cursor": result.next_cursor}


@grades_router.post(
    "",
    response={201: GradeOut, **error_responses(403, 409, 422)},
    operation_id="create_lead_grade",
    summary="Create a grade band",
    description="A band with `marks_mql` makes the leads reaching it marketing-qualified. "
    + RESCORE_DOC,
)
def create_lead_grade(request: HttpRequest, payload: GradeCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    return Status(201, services.lead_grade_create(actor=request.auth, data=data))


@grades_router.patch(
    "/{id}",
    response={200: GradeOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_lead_grade",
    summary="Update a grade band",
    description=RESCORE_DOC,
)
def update_lead_grade(request: HttpRequest, payload: GradePatchIn, id: int = RecordId) -> Any:
    grade = selectors.grade_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    return services.lead_grade_update(actor=request.auth, grade=grade, data=data, version=version)


@grades_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_lead_grade",
    summary="Delete a grade band",
    description=RESCORE_DOC,
)
def delete_lead_grade(request: HttpRequest, id: int = RecordId) -> Status:
    grade = selectors.grade_get(actor=request.auth, pk=id)
    services.lead_grade_delete(actor=request.auth, grade=grade)
    return Status(204, None)


# -- assignment rules -------------------------------------------------------------------------


@assignment_rules_router.get(
    "",
    response={200: AssignmentRulePage, **error_responses(422)},
    operation_id="list_assignment_rules",
    summary="List assignment rules",
    description="In the order they are tried (`position`, then id).",
)
def list_assignment_rules(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return page_body(
        request.auth,
        selectors.assignment_rule_list(actor=request.auth),
        AssignmentRuleOut,
        page=page,
        orderings=selectors.ASSIGNMENT_RULE_ORDERINGS,
        ordering=None,
        default_ordering="position",
    )


@assignment_rules_router.post(
    "",
    response={201: AssignmentRuleOut, **error_responses(403, 422)},
    operation_id="create_assignment_rule",
    summary="Create an assignment rule",
)
def create_assignment_rule(request: HttpRequest, payload: AssignmentRuleCreateIn) -> Status:
    data = payload.model_dump(exclude_unset=True)
    rule = services.assignment_rule_create(actor=request.auth, data=data)
    return Status(201, visible_record(request.auth, rule, AssignmentRuleOut))


@assignment_rules_router.post(
    "/test",
    response={200: AssignmentTestOut, **error_responses(403, 422)},
    operation_id="test_assignment_rules",
    summary="Which rule and user a lead would get",
    description="Evaluates the active rules for a lead with this country, region and source; "
    "nothing changes (the round-robin position does not move). Nulls when no rule applies.",
)
def test_assignment_rules(request: HttpRequest, payload: AssignmentTestIn) -> dict[str, Any]:
    choice = services.assignment_test(actor=request.auth, **payload.model_dump())
    if choice is None:
        return {"rule_id": None, "rule_name": None, "user_id": None, "username": None}
    return {
        "rule_id": choice.rule.pk,
        "rule_name": choice.rule.name,
        "user_id": choice.user.pk,
        "username": choice.user.username,
    }


@assignment_rules_router.get(
    "/{id}",
    response={200: AssignmentRuleOut, **error_responses(404, 422)},
    operation_id="get_assignment_rule",
    summary="Get one assignment rule",
)
def get_assignment_rule(request: HttpRequest, id: int = RecordId) -> dict[str, Any]:
    rule = selectors.assignment_rule_get(actor=request.auth, pk=id)
    return visible_record(request.auth, rule, AssignmentRuleOut)


@assignment_rules_router.patch(
    "/{id}",
    response={200: AssignmentRuleOut, **error_responses(403, 404, 409, 422)},
    operation_id="update_assignment_rule",
    summary="Update an assignment rule",
)
def update_assignment_rule(
    request: HttpRequest, payload: AssignmentRulePatchIn, id: int = RecordId
) -> dict[str, Any]:
    rule = selectors.assignment_rule_get(actor=request.auth, pk=id)
    data = payload.model_dump(exclude_unset=True)
    version = data.pop("version")
    rule = services.assignment_rule_update(
        actor=request.auth, rule=rule, data=data, version=version
    )
    rule = selectors.assignment_rule_get(actor=request.auth, pk=rule.pk)
    return visible_record(request.auth, rule, AssignmentRuleOut)


@assignment_rules_router.delete(
    "/{id}",
    response={204: None, **error_responses(403, 404, 422)},
    operation_id="delete_assignment_rule",
    summary="Delete an assignment rule",
)
def delete_assignment_rule(request: HttpRequest, id: int = RecordId) -> Status:
    rule = selectors.assignment_rule_get(actor=request.auth, pk=id)
    services.assignment_rule_delete(actor=request.auth, rule=rule)
    return Status(204, None)
