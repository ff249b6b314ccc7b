"""Which record type every API operation and every UI route acts on.

The matrix reads the operations from the OpenAPI schema and the routes from the URL resolver;
this module only says which record type the first id of a path names. An operation or a route
no rule classifies fails `test_every_endpoint_is_classified`, naming it: whoever adds an endpoint
decides here whether the matrix must probe it.
"""

import re
from dataclasses import dataclass

from django.urls import URLPattern, URLResolver, get_resolver

API_PREFIX = "/api/v1"

# The first path segment(s) of an API collection and the record type its `{id}` names.
API_COLLECTIONS: dict[str, str] = {
    "accounts": "account",
    "activities": "interaction",
    "article-categories": "article_category",
    "articles": "article",
    "assignment-rules": "assignment_rule",
    "campaigns": "campaign",
    "capture-forms": "capture_form",
    "cases": "case",
    "contacts": "contact",
    "custom-fields": "custom_field",
    "duplicates/clusters": "duplicate",
    "email-templates": "email_template",
    "imports": "import",
    "intelligence/accounts": "account",
    "intelligence/contacts": "contact",
    "intelligence/leads": "lead",
    "intelligence/runs": "model_run",
    "jobs": "job",
    "leads": "lead",
    "loyalty/programs": "loyalty_program",
    "mailboxes": "mailbox",
    "mailings": "mailing",
    "onboarding-templates": "onboarding_template",
    "opportunities": "opportunity",
    "orders": "order",
    "personas": "persona",
    "pipelines": "pipeline",
    "price-books": "price_book",
    "privacy/retention-policies": "retention_policy",
    "products": "product",
    "quotas": "quota",
    "quotes": "quote",
    "review-policies": "review_policy",
    "reviews": "review",
    "sales-costs": "sales_cost",
    "scoring-rules": "scoring_rule",
    "segments": "segment",
    "sequences": "sequence",
    "sla-policies": "sla_policy",
    "surveys": "survey",
    "tags": "tag",
    "tasks": "task",
    "teams": "team",
    "tokens": "token",
    "users": "user",
    "webhooks": "webhook",
    "workflows": "workflow",
}

# Path parameters that name a row of a registered type wherever they appear first.
API_PARAMS: dict[str, str] = {
    "contact_id": "contact",
    "team_id": "team",
    "policy_id": "retention_policy",
}

# Parameterised operations on rows outside the registry, or on public signed tokens: the matrix
# does not probe their ids (their lists are still scanned for hidden rows). Each says why.
API_UNSCOPED: dict[str, str] = {
    "analytics/kpis/{name}": "a KPI definition by name; its figures are scanned as a list",
    "analytics/pins/{id}": "a user's own pinned KPI (filtered by user in the selector)",
    "duplicates/merges/{id}": "a merge log row; undo re-checks the merged records",
    "exchange-rates/{id}": "configuration without owner, readable by every role",
    "exports/full/{id}": "a user's own full export (filtered by requester)",
    "forms/{public_key}/submit": "public capture form, signed public key",
    "imports/fields/{record_type}": "field list of a record type, no row",
    "imports/mappings/{id}": "a user's saved import mapping",
    "intelligence/clusters/{number}/segment": "a cluster number of the last model run",
    "intelligence/models/{kind}": "a model kind, no row",
    "lead-grades/{id}": "configuration without owner, readable by every role",
    "public/": "public endpoint authorised by a signed token",
}

# Child rows outside the registry (tests/security/children.py): the path parameter (API) or
# route argument (web) after the parent's id that names one, and the child kind.
NESTED_CHILDREN: dict[str, str] = {
    "share_id": "share",
    "cost_id": "campaign_cost",
    "link_id": "utm_link",
    "article_id": "case_article",
    "rule_id": "earning_rule",
    "tier_id": "tier",
    "stage_id": "stage",
    "stage_pk": "stage",
    "product_id": "price_entry",
    "enrollment_id": "enrollment",
    "step_id": "sequence_step",
    "delivery_id": "delivery",
}
# Children reached by their own id: the API path prefix, or the web route name (regex).
API_CHILD_ROUTES: dict[str, str] = {
    "onboardings/{id}": "onboarding",
    "loyalty/rewards/{id}": "reward",
    "loyalty/redemptions/{id}": "redemption",
    "referrals/{id}": "referral",
}
UI_CHILD_ROUTES: dict[str, str] = {
    r"loyalty_reward_(edit|delete)$": "reward",
    r"loyalty_redemption_action$": "redemption",
    r"loyalty_member_(detail|statement|redeem|send_statement)$": "member",
}


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    type_key: str | None  # the type the first path parameter names; None: no id probed
    param: str | None  # that parameter's name
    child: str | None = None  # the child kind a parameter names (see NESTED_CHILDREN)
    child_param: str | None = None  # that parameter's name

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def _first_param(path: str) -> str | None:
    found = re.search(r"\{(\w+)\}", path)
    return found.group(1) if found else None


def classify_api(method: str, path: str) -> Operation | None:
    """The operation with its record type, or None when no rule knows the path."""
    rest = path.removeprefix(API_PREFIX + "/")
    param = _first_param(rest)
    if param is None:
        return Operation(method, path, None, None)
    for prefix, child in API_CHILD_ROUTES.items():
        if rest.startswith(prefix):
            return Operation(method, path, None, None, child, "id")
    if any(rest.startswith(prefix) for prefix in API_UNSCOPED):
        return Operation(method, path, None, None)
    if param in API_PARAMS:
        return Operation(method, path, API_PARAMS[param], param)
    head = rest.split("/{", 1)[0]
    if param == "id" and head in API_COLLECTIONS:
        nested = [name for name in re.findall(r"\{(\w+)\}", rest) if name in NESTED_CHILDREN]
        if nested:
            child = NESTED_CHILDREN[nested[0]]
            return Operation(method, path, API_COLLECTIONS[head], param, child, nested[0])
        return Operation(method, path, API_COLLECTIONS[head], param)
    return None


def api_operations(schema: dict) -> tuple[list[Operation], list[str]]:
    """Every operation of the schema, classified; and the labels of those no rule knows."""
    known, unknown = [], []
    for path, methods in schema["paths"].items():
        for method in methods:
            operation = classify_api(method.upper(), path)
            if operation is None:
                unknown.append(f"{method.upper()} {path}")
            else:
                known.append(operation)
    return known, unknown


# -- web routes ------------------------------------------------------------------------------

# URL names (regular expressions, matched from the start, first match wins) and the record type
# their first integer argument names. None: the integer names no registered row (with why).
UI_ROUTES: list[tuple[str, str | None]] = [
    (r"lead_grade_", None),  # configuration readable by everyone
    (r"exchange_rate_", None),  # configuration readable by everyone
    (r"duplicate_merge", None),  # a merge log row; undo re-checks the records
    (r"full_export_download$", None),  # the requester's own export
    (r"saved_view_", None),  # the user's own saved list views
    (r"kpi_unpin$", None),  # the user's own pinned KPI
    (r"intelligence_cluster_segment$", None),  # a cluster number, no row
    (r"(timeline_panel|interaction_log|email_compose|email_compose_template)$", "*kind"),
    (r"(account_)", "account"),
    (r"(contact_|consent_|advocate_mention$|referral_code_create$)", "contact"),
    (r"loyalty_member_enrol$", "contact"),
    (r"lead_", "lead"),
    (r"scoring_", "scoring_rule"),
    (r"assignment_rule_", "assignment_rule"),
    (r"capture_form_", "capture_form"),
    (r"opportunity_", "opportunity"),
    (r"(pipeline_|stage_)", "pipeline"),
    (r"onboarding_template_", "onboarding_template"),
    (r"product_", "product"),
    (r"quote_", "quote"),
    (r"order_", "order"),
    (r"price_book_", "price_book"),
    (r"task_", "task"),
    (r"interaction_", "interaction"),
    (r"case_", "case"),
    (r"article_", "article"),
    (r"sla_policy_", "sla_policy"),
    (r"business_calendar_edit$", "team"),
    (r"mailbox_", "mailbox"),
    (r"email_template_", "email_template"),
    (r"survey_", "survey"),
    (r"segment_", "segment"),
    (r"persona_", "persona"),
    (r"job_", "job"),
    (r"sequence_", "sequence"),
    (r"mailing_", "mailing"),
    (r"campaign_", "campaign"),
    (r"workflow_", "workflow"),
    (r"webhook_", "webhook"),
    (r"intelligence_run_", "model_run"),
    (r"loyalty_(program_|rule_|tier_|enroll_customers$|reward_list$)", "loyalty_program"),
    (r"review_policy_", "review_policy"),
    (r"review_", "review"),
    (r"sales_cost_", "sales_cost"),
    (r"quota_", "quota"),
    (r"import_", "import"),
    (r"duplicate_", "duplicate"),
    (r"retention_", "retention_policy"),
    (r"user_", "user"),
    (r"team_", "team"),
    (r"role_", "role"),
    (r"custom_field_", "custom_field"),
    (r"token_", "token"),
]

# The record kinds of the routes whose path names the kind (`timeline/<kind>/<pk>/`).
KIND_TYPES = ("contact", "account", "lead", "opportunity", "case")


@dataclass(frozen=True)
class Route:
    name: str
    pattern: str  # the route with `{arg}` placeholders
    int_args: tuple[str, ...]
    str_args: tuple[str, ...]
    type_key: str | None
    child: str | None = None  # the child kind the first (own id) or second argument names
    child_arg: str | None = None  # that argument

    def child_url(self, parent: int, child: int, kind: str = "") -> str:
        """The path with the parent's id (when nested) and the child's id."""
        values = {name: "999999999" for name in self.int_args}
        values[self.int_args[0]] = str(parent)
        values[self.child_arg or self.int_args[0]] = str(child)
        values.update({name: kind or "x" for name in self.str_args})
        return "/" + self.pattern.format(**values)

    def url(self, first: int, kind: str = "") -> str:
        """The path with the first integer argument `first`, the others absent ids."""
        values = {name: "999999999" for name in self.int_args}
        if self.int_args:
            values[self.int_args[0]] = str(first)
        values.update({name: kind or "x" for name in self.str_args})
        return "/" + self.pattern.format(**values)


_ARG = re.compile(r"<(?:(\w+):)?(\w+)>|\(\?P<(\w+)>([^)]*)\)")


def _route(raw: str) -> tuple[str, tuple[str, ...], tuple[str, ...]]:
    """The route as a format string, with its integer and its other arguments."""
    ints: list[str] = []
    strs: list[str] = []

    def replace(match: re.Match) -> str:
        if match.group(2):
            arg = match.group(2)
            (ints if match.group(1) == "int" else strs).append(arg)
            return "{" + arg + "}"
        arg, body = match.group(3), match.group(4)
        if body == "[0-9]+":
            ints.append(arg)
            return "{" + arg + "}"
        if re.fullmatch(r"[\w|]+", body):  # a choice of words: take the first
            return body.split("|")[0]
        strs.append(arg)
        return "{" + arg + "}"

    pattern = _ARG.sub(replace, raw).lstrip("^").rstrip("$").replace("\\.", ".")
    return pattern, tuple(ints), tuple(strs)


def _walk(resolver: URLResolver, prefix: str = ""):
    for item in resolver.url_patterns:
        if isinstance(item, URLResolver):
            yield from _walk(item, prefix + str(item.pattern))
        elif isinstance(item, URLPattern):
            yield prefix + str(item.pattern), item.name


def ui_routes() -> tuple[list[Route], list[str]]:
    """Every web route but the API's, classified; and the names of those no rule knows."""
    known, unknown = [], []
    for raw, name in _walk(get_resolver()):
        if raw.startswith("api/"):
            continue
        pattern, ints, strs = _route(raw)
        if not ints:
            known.append(Route(name, pattern, ints, strs, None))
            continue
        own = [child for regex, child in UI_CHILD_ROUTES.items() if re.match(regex, name)]
        if own:
            known.append(Route(name, pattern, ints, strs, None, own[0], ints[0]))
            continue
        for regex, type_key in UI_ROUTES:
            if re.match(regex, name):
                nested = [arg for arg in ints[1:] if arg in NESTED_CHILDREN]
                child = NESTED_CHILDREN[nested[0]] if nested else None
                arg = nested[0] if nested else None
                known.append(Route(name, pattern, ints, strs, type_key, child, arg))
                break
        else:
            unknown.append(f"{name} ({raw})")
    return known, unknown
