"""Knowledge-base pages: the agents' article pages (generic record views configured by
ARTICLE_UI) and the public, tokenless pages showing published articles only."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from cyclecrm.core.errors import NotFound
from cyclecrm.core.ratelimit import public_rate_limit
from cyclecrm.identity.models import User
from cyclecrm.support import selectors, services
from cyclecrm.support.filters import ArticleFilters
from cyclecrm.support.forms import ArticleForm
from cyclecrm.support.models import Article, ArticleStatus
from cyclecrm.web.records.config import Column, FilterField, RecordUI, register_ui

PUBLIC_PAGE_SIZE = 50
ARTICLE_COLUMNS = (
    Column("title", "Title", ordering="title", default=True, link=True),
    Column("status", "Status", default=True),
    Column("category", "Category", default=True),
    Column("owner", "Author", default=True),
    Column("published_at", "Published"),
    Column("tags", "Tags"),
    Column("updated_at", "Updated", ordering="updated_at", default=True),
)
ARTICLE_FILTERS = (
    FilterField("status", "Status", "select", choices=tuple(ArticleStatus.choices)),
    FilterField("owner_id", "Author", "owner"),
    FilterField("tag", "Tag", "tag", field="tags"),
)
ARTICLE_GROUPS = (("Article", ("title", "slug", "category", "status", "published_at", "body")),)
ARTICLE_EXPORT = (
    "id", "title", "slug", "category_id", "status", "published_at", "owner_id", "tags",
    "created_at", "updated_at", "version",
)  # fmt: skip


def _article_create(*, actor: User, data: dict, tags: list | None = None, **_: object) -> Article:
    return services.article_create(actor=actor, data=data, tags=tags)


def _article_update(
    *, actor: User, instance: Article, data: dict, version: int | None, tags=None, **_: object
) -> Article:
    return services.article_update(
        actor=actor, article=instance, data=data, version=version, tags=tags
    )


def _article_delete(*, actor: User, instance: Article) -> None:
    services.article_delete(actor=actor, article=instance)


ARTICLE_UI = register_ui(
    RecordUI(
        name="article",
        model=Article,
        label="Article",
        label_plural="Knowledge base",
        icon="journal-text",
        filters_class=ArticleFilters,
        filter_fields=ARTICLE_FILTERS,
        orderings=selectors.ARTICLE_ORDERINGS,
        default_ordering=selectors.ARTICLE_DEFAULT_ORDERING,
        columns=ARTICLE_COLUMNS,
        field_groups=ARTICLE_GROUPS,
        inline_fields=frozenset({"title", "status"}),
        export_columns=ARTICLE_EXPORT,
        form_class=ArticleForm,
        list_selector=lambda *, actor, filters=None, custom=None, action="read": (
            selectors.article_list(actor=actor, filters=filters, action=action)
        ),
        get_selector=selectors.article_get,
        create=_article_create,
        update=_article_update,
        delete=_article_delete,
        subtitle_fields=("status", "category"),
        search_fields=("status",),
        detail_template="support/article_detail.html",
        empty_hint="Articles answer the questions customers ask most.",
    )
)


@require_GET
@public_rate_limit("kb")
def public_article_list(request: HttpRequest) -> HttpResponse:
    """Published articles (no login): all by title, or the best matches for `q`."""
    query = request.GET.get("q", "").strip()[:200]
    if query:
        articles = selectors.article_search(actor=None, query=query)
        page = None
    else:
        page = Paginator(selectors.published_articles(), PUBLIC_PAGE_SIZE).get_page(
            request.GET.get("page")
        )
        articles = list(page.object_list)
    return render(
        request,
        "support/kb_public_list.html",
        {"articles": articles, "query": query, "page": page},
    )


@require_GET
@public_rate_limit("kb")
def public_article(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        article = selectors.published_article(slug=slug)
    except NotFound:
        return render(request, "support/kb_public_missing.html", status=404)
    return render(request, "support/kb_public_article.html", {"article": article})
