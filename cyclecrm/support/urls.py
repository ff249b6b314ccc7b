from django.urls import path

from cyclecrm.support import kb_views, settings_views, views
from cyclecrm.web.records.urls import record_urls

_OWN_PAGES = {"case_list"}

urlpatterns = [
    path("cases/", views.case_list, name="case_list"),
    path("cases/<int:pk>/status/", views.case_status, name="case_status"),
    path("cases/<int:pk>/assign/", views.case_assign, name="case_assign"),
    path("cases/<int:pk>/articles/", views.case_article_link, name="case_article_link"),
    path(
        "cases/<int:pk>/articles/<int:article_id>/unlink/",
        views.case_article_unlink,
        name="case_article_unlink",
    ),
    path("cases/<int:pk>/articles/search/", views.case_article_search, name="case_article_search"),
    path("cases/<int:pk>/reply-box/", views.case_reply_box, name="case_reply_box"),
    path("cases/<int:pk>/reply/", views.case_reply, name="case_reply"),
    *[pattern for pattern in record_urls(views.CASE_UI, "cases") if pattern.name not in _OWN_PAGES],
    *record_urls(kb_views.ARTICLE_UI, "articles"),
    path("kb/", kb_views.public_article_list, name="kb_public_list"),
    path("kb/<slug:slug>/", kb_views.public_article, name="kb_public_article"),
    path("settings/support/", settings_views.support_settings, name="support_settings"),
    path(
        "settings/support/policies/new/",
        settings_views.sla_policy_edit,
        name="sla_policy_create",
    ),
    path(
        "settings/support/policies/<int:pk>/",
        settings_views.sla_policy_edit,
        name="sla_policy_edit",
    ),
    path(
        "settings/support/policies/<int:pk>/delete/",
        settings_views.sla_policy_delete,
        name="sla_policy_delete",
    ),
    path(
        "settings/support/calendars/<int:team_id>/",
        settings_views.business_calendar_edit,
        name="business_calendar_edit",
    ),
]
