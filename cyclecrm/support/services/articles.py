"""Writes for the knowledge base.

- The body is sanitized HTML; `search_text` (plain title and body) is derived for search.
- The slug comes from the title unless given, made unique with a `-2`, `-3` ... suffix; a given
  slug that is taken is refused.
- `published_at` is stamped the first time an article is published and kept afterwards.
- Categories are configuration (the `all` level on `article_category`).
"""

from collections.abc import Iterable
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from cyclecrm.core.errors import Duplicate, FieldErrors, Forbidden
from cyclecrm.core.history import diff, history_record, snapshot
from cyclecrm.core.models import HistoryAction
from cyclecrm.core.records import claim_version, record_create, record_delete, record_update
from cyclecrm.core.richtext import html_to_text, sanitize_html
from cyclecrm.identity import access
from cyclecrm.identity.models import Action, Level, User
from cyclecrm.support.models import Article, ArticleCategory, ArticleStatus

ARTICLE_FIELDS = {"title", "slug", "body", "category_id", "status", "owner_id", "team_id"}
TITLE_REQUIRED = "An article needs a title."
SLUG_TAKEN = "Another article already uses this slug."


def _unique_slug(base: str, exclude_pk: int | None) -> str:
    base = (base or "article")[:190]
    taken = set(
        Article.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    if base not in taken:
        return base
    suffix = 2
    while f"{base}-{suffix}" in taken:
        suffix += 1
    return f"{base}-{suffix}"


def _prepare(data: dict[str, Any], current: Article | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = dict(data)
    if "category" in data:  # the web form passes the category itself
        category = data.pop("category")
        data["category_id"] = getattr(category, "pk", category)
    for name in sorted(set(data) - ARTICLE_FIELDS):
        errors.add(name, "Unknown field.")
    if "title" in data:
        data["title"] = " ".join(str(data["title"] or "").split())
    if (current is None or "title" in data) and not data.get("title"):
        errors.add("title", TITLE_REQUIRED)
    if "body" in data:
        data["body"] = sanitize_html(data["body"])
    if data.get("slug"):
        slug = slugify(str(data["slug"]))
        if not slug:
            errors.add("slug", "Use letters, digits and hyphens.")
        elif Article.objects.filter(slug=slug).exclude(pk=getattr(current, "pk", None)).exists():
            errors.add("slug", SLUG_TAKEN)
        data["slug"] = slug
    elif current is None and data.get("title"):
        data["slug"] = _unique_slug(slugify(data["title"]), None)
    else:
        data.pop("slug", None)
    category_id = data.get("category_id")
    if category_id is not None and not ArticleCategory.objects.filter(pk=category_id).exists():
        errors.add("category_id", "No category with this id.")
    if data.get("status") not in (None, *ArticleStatus.values):
        errors.add("status", f"Use one of {', '.join(ArticleStatus.values)}.")
    errors.raise_if_any()
    if data.get("status") == ArticleStatus.PUBLISHED and not getattr(current, "published_at", None):
        data["published_at"] = timezone.now()
    if current is None or "body" in data:
        data["search_text"] = html_to_text(data.get("body", ""))
    return data


def article_create(
    *, actor: User, data: dict[str, Any], tags: Iterable[str] | None = None
) -> Article:
    data = _prepare(data, None)
    return record_create(actor=actor, model=Article, data=data, tags=tags)


def article_update(
    *,
    actor: User,
    article: Article,
    data: dict[str, Any],
    version: int | None,
    tags: Iterable[str] | None = None,
) -> Article:
    data = _prepare(data, article)
    return record_update(actor=actor, instance=article, data=data, version=version, tags=tags)


def article_delete(*, actor: User, article: Article) -> None:
    record_delete(actor=actor, instance=article)


# -- categories -------------------------------------------------------------------------------


def _require_all(actor: User, action: str) -> None:
    if access.level(actor, ArticleCategory.record_type, action) != Level.ALL:
        raise Forbidden(f"You may not {action} knowledge base categories.")


def _category_data(data: dict[str, Any], current: ArticleCategory | None) -> dict[str, Any]:
    errors = FieldErrors()
    data = {k: v for k, v in data.items() if k in {"name", "slug", "position"}}
    if "name" in data:
        data["name"] = " ".join(str(data["name"] or "").split())
    if (current is None or "name" in data) and not data.get("name"):
        errors.add("name", "A category needs a name.")
    errors.raise_if_any()
    if data.get("slug") or (current is None and data.get("name")):
        data["slug"] = slugify(data.get("slug") or data["name"])[:100] or "category"
    return data


def _save_category(category: ArticleCategory) -> None:
    try:
        with transaction.atomic():
            category.save()
    except IntegrityError as exc:
        raise Duplicate(fields={"name": ["Another category has this name or slug."]}) from exc


def article_category_create(*, actor: User, data: dict[str, Any]) -> ArticleCategory:
    _require_all(actor, Action.CREATE)
    category = ArticleCategory(**_category_data(data, None))
    with transaction.atomic():
        _save_category(category)
        history_record(
            actor=actor,
            instance=category,
            action=HistoryAction.CREATE,
            changes=diff({}, snapshot(category)),
        )
    return category


def article_category_update(
    *, actor: User, category: ArticleCategory, data: dict[str, Any], version: int | None
) -> ArticleCategory:
    _require_all(actor, Action.EDIT)
    before = snapshot(category)
    for name, value in _category_data(data, category).items():
        setattr(category, name, value)
    with transaction.atomic():
        claim_version(category, version)
        _save_category(category)
        changes = diff(before, snapshot(category))
        if changes:
            history_record(
                actor=actor, instance=category, action=HistoryAction.UPDATE, changes=changes
            )
    return category


def article_category_delete(*, actor: User, category: ArticleCategory) -> None:
    _require_all(actor, Action.DELETE)
    with transaction.atomic():
        history_record(
            actor=actor,
            instance=category,
            action=HistoryAction.DELETE,
            changes=diff(snapshot(category), {}),
        )
        category.delete()
