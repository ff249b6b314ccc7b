"""Writes for support: cases, SLA configuration and the knowledge base."""

from cyclecrm.support.services.articles import (
    article_category_create,
    article_category_delete,
    article_category_update,
    article_create,
    article_delete,
    article_update,
)
from cyclecrm.support.services.cases import (
    case_assign,
    case_close,
    case_create,
    case_delete,
    case_link_article,
    case_record_first_response,
    case_reopen,
    case_resolve,
    case_status_change,
    case_unlink_article,
    case_update,
)
from cyclecrm.support.services.configuration import (
    business_calendar_delete,
    business_calendar_set,
    sla_policy_create,
    sla_policy_delete,
    sla_policy_update,
)

__all__ = [
    "article_category_create",
    "article_category_delete",
    "article_category_update",
    "article_create",
    "article_delete",
    "article_update",
    "business_calendar_delete",
    "business_calendar_set",
    "case_assign",
    "case_close",
    "case_create",
    "case_delete",
    "case_link_article",
    "case_record_first_response",
    "case_reopen",
    "case_resolve",
    "case_status_change",
    "case_unlink_article",
    "case_update",
    "sla_policy_create",
    "sla_policy_delete",
    "sla_policy_update",
]
