"""Lead pages (`lead_*`: the generic record pages, with detail and edits replaced so that a
converted lead stays read-only) and the lead scoring and assignment settings."""

from django.urls import URLPattern, path

from cyclecrm.leads.views import assignment, leads, scoring
from cyclecrm.web.records.urls import record_urls

_REPLACED = {"lead_detail", "lead_edit", "lead_delete", "lead_field"}

lead_urlpatterns: list[URLPattern] = [
    path("leads/<int:pk>/", leads.lead_detail, name="lead_detail"),
    path("leads/<int:pk>/edit/", leads.lead_edit, name="lead_edit"),
    path("leads/<int:pk>/delete/", leads.lead_delete, name="lead_delete"),
    path("leads/<int:pk>/field/<str:name>/", leads.lead_field, name="lead_field"),
    path("leads/<int:pk>/status/", leads.lead_status, name="lead_status"),
    path("leads/<int:pk>/status-changes/", leads.lead_status_changes, name="lead_status_changes"),
    path("leads/<int:pk>/convert/", leads.lead_convert, name="lead_convert"),
    *(p for p in record_urls(leads.LEAD_UI, "leads") if p.name not in _REPLACED),
]

settings_urlpatterns = [
    path("settings/lead-scoring/", scoring.scoring_rule_list, name="scoring_rule_list"),
    path("settings/lead-scoring/new/", scoring.scoring_rule_create, name="scoring_rule_create"),
    path("settings/lead-scoring/<int:pk>/", scoring.scoring_rule_edit, name="scoring_rule_edit"),
    path(
        "settings/lead-scoring/<int:pk>/delete/",
        scoring.scoring_rule_delete,
        name="scoring_rule_delete",
    ),
    path("settings/lead-scoring/rescore/", scoring.scoring_rescore, name="scoring_rescore"),
    path("settings/lead-grades/new/", scoring.lead_grade_create, name="lead_grade_create"),
    path("settings/lead-grades/<int:pk>/", scoring.lead_grade_edit, name="lead_grade_edit"),
    path(
        "settings/lead-grades/<int:pk>/delete/",
        scoring.lead_grade_delete,
        name="lead_grade_delete",
    ),
    path("settings/lead-assignment/", assignment.assignment_rule_list, name="assignment_rule_list"),
    path(
        "settings/lead-assignment/new/",
        assignment.assignment_rule_create,
        name="assignment_rule_create",
    ),
    path(
        "settings/lead-assignment/test/",
        assignment.assignment_rule_test,
        name="assignment_rule_test",
    ),
    path(
        "settings/lead-assignment/<int:pk>/",
        assignment.assignment_rule_edit,
        name="assignment_rule_edit",
    ),
    path(
        "settings/lead-assignment/<int:pk>/delete/",
        assignment.assignment_rule_delete,
        name="assignment_rule_delete",
    ),
]

urlpatterns = lead_urlpatterns + settings_urlpatterns
