"""URL patterns for one record type's pages, named `<type>_<page>`."""

from django.urls import URLPattern, path

from cyclecrm.web.records import views_detail, views_edit, views_list
from cyclecrm.web.records.config import RecordUI


def record_urls(ui: RecordUI, prefix: str) -> list[URLPattern]:
    """`prefix` is the plural path segment, e.g. `contacts`."""
    kw = {"ui": ui}
    return [
        path(f"{prefix}/", views_list.record_list, kw, name=ui.url_name("list")),
        path(f"{prefix}/new/", views_edit.record_create, kw, name=ui.url_name("create")),
        path(f"{prefix}/export/", views_list.record_export, kw, name=ui.url_name("export")),
        path(f"{prefix}/lookup/", views_list.record_lookup, kw, name=ui.url_name("lookup")),
        path(f"{prefix}/<int:pk>/", views_detail.record_detail, kw, name=ui.url_name("detail")),
        path(f"{prefix}/<int:pk>/edit/", views_edit.record_edit, kw, name=ui.url_name("edit")),
        path(
            f"{prefix}/<int:pk>/delete/", views_edit.record_delete, kw, name=ui.url_name("delete")
        ),
        path(
            f"{prefix}/<int:pk>/history/",
            views_detail.record_history,
            kw,
            name=ui.url_name("history"),
        ),
        path(
            f"{prefix}/<int:pk>/field/<str:name>/",
            views_detail.record_field,
            kw,
            name=ui.url_name("field"),
        ),
        path(
            f"{prefix}/<int:pk>/shares/", views_edit.record_shares, kw, name=ui.url_name("shares")
        ),
        path(
            f"{prefix}/<int:pk>/shares/<int:share_id>/delete/",
            views_edit.record_share_delete,
            kw,
            name=ui.url_name("share_delete"),
        ),
    ]
