"""Reads for support, always starting from the permission gate (public KB pages excepted:
they show published articles only)."""

from typing import Any

from django.db.models import BooleanField, ExpressionWrapper, Prefetch, Q, QuerySet

from cyclecrm.core.custom_fields import custom_filter_q
from cyclecrm.core.db import fulltext_search
from cyclecrm.core.errors import NotFound
from cyclecrm.core.models import Tag
from cyclecrm.core.pagination import orderings_with_reverse
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, User
from cyclecrm.support.filters import ARTICLE_SEARCH_FIELDS, ArticleFilters, CaseFilters
from cyclecrm.support.models import (
    ACTIVE_STATUSES,
    Article,
    ArticleCategory,
    ArticleStatus,
    BusinessCalendar,
    Case,
    CaseArticle,
    CaseStatusChange,
    SlaPolicy,
)

# `due` is the next running SLA due time (cases with no running clock last); `priority` is most
# urgent first, then soonest due.
CASE_ORDERINGS = orderings_with_reverse(
    {
        "due": ("next_due_at", "id"),
        "priority": ("priority_rank", "next_due_at", "id"),
        "created_at": ("created_at", "id"),
        "updated_at": ("updated_at", "id"),
    }
)
CASE_DEFAULT_ORDERING = "-created_at"
SORT_COLUMN_FIELDS = {"next_due_at": "first_response_due", "priority_rank": "priority"}
ARTICLE_ORDERINGS = orderings_with_reverse(
    {"updated_at": ("updated_at", "id"), "title": ("title", "id")}
)
ARTICLE_DEFAULT_ORDERING = "-updated_at"
SEARCH_LIMIT = 50
_CASE_RELATED = ("owner", "team", "team__business_calendar", "contact", "account", "sla_policy")


def _cases_with_related(queryset: QuerySet[Case]) -> QuerySet[Case]:
    return queryset.select_related(*_CASE_RELATED).prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def case_list(
    *,
    actor: User,
    filters: CaseFilters | None = None,
    custom: dict[str, str] | None = None,
    action: str = Action.READ,
) -> QuerySet[Case]:
    queryset = access.restrict(Case.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
        if filters.mine:
            queryset = queryset.filter(owner=actor)
    if custom:
        queryset = queryset.filter(custom_filter_q(Case.record_type, custom))
    return _cases_with_related(queryset)


def case_get(*, actor: User, pk: Any, action: str = Action.READ) -> Case:
    queryset = access.restrict(Case.objects.all(), actor, action)
    case = (
        _cases_with_related(queryset.select_related("created_by", "updated_by"))
        .filter(pk=pk)
        .first()
        if str(pk).isdigit()
        else None
    )
    if case is None:
        raise NotFound("No case with this id.")
    return case


def case_status_changes(*, case: Case) -> QuerySet[CaseStatusChange]:
    """The case's status moves, newest first (the caller has read the case)."""
    return case.status_changes.select_related("actor").order_by("-at", "-id")


def case_articles(*, actor: User, case: Case) -> QuerySet[Article]:
    """Articles linked to the case that the actor may read, most recently linked first."""
    links = CaseArticle.objects.filter(case=case)
    return (
        access.restrict(Article.objects.all(), actor)
        .filter(case_links__in=links)
        .select_related("category")
        .order_by("-case_links__linked_at", "-id")
    )


RECORD_CASES_LIMIT = 5


def cases_for(*, actor: User, contact: Any = None, account: Any = None) -> QuerySet[Case]:
    """The cases of a contact or an account the actor may read: active ones first, then the
    newest (the contact / account indexes serve both)."""
    cases = access.restrict(Case.objects.all(), actor)
    cases = cases.filter(contact=contact) if contact is not None else cases.filter(account=account)
    active = ExpressionWrapper(Q(status__in=ACTIVE_STATUSES), output_field=BooleanField())
    return cases.order_by(active.desc(), "-created_at", "-id")


# -- knowledge base -----------------------------------------------------------------------------


def _articles_with_related(queryset: QuerySet[Article]) -> QuerySet[Article]:
    return queryset.select_related("category", "owner").prefetch_related(
        Prefetch("tags", queryset=Tag.objects.order_by("name"))
    )


def article_list(
    *, actor: User, filters: ArticleFilters | None = None, action: str = Action.READ
) -> QuerySet[Article]:
    queryset = access.restrict(Article.objects.all(), actor, action)
    if filters is not None:
        queryset = filters.filter(queryset)
    return _articles_with_related(queryset)


def article_get(*, actor: User, pk: Any, action: str = Action.READ) -> Article:
    queryset = access.restrict(Article.objects.all(), actor, action)
    article = _articles_with_related(queryset).filter(pk=pk).first() if str(pk).isdigit() else None
    if article is None:
        raise NotFound("No article with this id.")
    return article


def article_search(
    *, actor: User | None, query: str, published_only: bool = False, limit: int = SEARCH_LIMIT
) -> list[Article]:
    """Best matches first. Without an actor (public pages) only published articles."""
    if actor is None:
        queryset = Article.objects.filter(status=ArticleStatus.PUBLISHED)
    else:
        queryset = access.restrict(Article.objects.all(), actor)
        if published_only:
            queryset = queryset.filter(status=ArticleStatus.PUBLISHED)
    matches = fulltext_search(queryset, query, ARTICLE_SEARCH_FIELDS, title_field="title")
    return list(
        matches.select_related("category").order_by("-search_rank", "-updated_at", "-id")[:limit]
    )


def published_articles() -> QuerySet[Article]:
    return (
        Article.objects.filter(status=ArticleStatus.PUBLISHED)
        .select_related("category")
        .order_by("title", "id")
    )


def published_article(*, slug: str) -> Article:
    article = published_articles().filter(slug=slug).first()
    if article is None:
        raise NotFound("No published article with this address.")
    return article


def article_category_list(*, actor: User) -> QuerySet[ArticleCategory]:
    return access.restrict(ArticleCategory.objects.order_by("position", "name", "id"), actor)


# -- configuration ------------------------------------------------------------------------------


def sla_policy_list(*, actor: User) -> QuerySet[SlaPolicy]:
    return access.restrict(SlaPolicy.objects.select_related("team"), actor)


def sla_policy_get(*, actor: User, pk: Any) -> SlaPolicy:
    policy = sla_policy_list(actor=actor).filter(pk=pk).first() if str(pk).isdigit() else None
    if policy is None:
        raise NotFound("No SLA policy with this id.")
    return policy


def business_calendar_list(*, actor: User) -> QuerySet[BusinessCalendar]:
    return access.restrict(BusinessCalendar.objects.select_related("team"), actor)


def business_calendar_get(*, actor: User, team_id: Any) -> BusinessCalendar:
    calendar = (
        business_calendar_list(actor=actor).filter(team_id=team_id).first()
        if str(team_id).isdigit()
        else None
    )
    if calendar is None:
        raise NotFound("This queue has no business hours of its own.")
    return calendar


def article_category_get(*, actor: User, pk: Any) -> ArticleCategory:
    categories = article_category_list(actor=actor)
    category = categories.filter(pk=pk).first() if str(pk).isdigit() else None
    if category is None:
        raise NotFound("No article category with this id.")
    return category
