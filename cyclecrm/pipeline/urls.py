from django.urls import path

from cyclecrm.pipeline.views import board, opportunities, reports, settings_other
from cyclecrm.pipeline.views import settings_pipelines as pipelines
from cyclecrm.web.records.urls import record_urls

# The generic record pages, except the list, which opportunities have their own of (with the
# board toggle).
_OWN_PAGES = {"opportunity_list"}

opportunity_urlpatterns = [
    path("opportunities/", opportunities.opportunity_list, name="opportunity_list"),
    path("opportunities/board/", board.pipeline_board, name="pipeline_board"),
    path("opportunities/forecast/", reports.pipeline_forecast, name="pipeline_forecast"),
    path("opportunities/<int:pk>/move/", opportunities.opportunity_move, name="opportunity_move"),
    *[
        pattern
        for pattern in record_urls(opportunities.OPPORTUNITY_UI, "opportunities")
        if pattern.name not in _OWN_PAGES
    ],
]

settings_urlpatterns = [
    path("settings/pipelines/", pipelines.pipeline_settings, name="pipeline_settings"),
    path("settings/pipelines/<int:pk>/", pipelines.pipeline_edit, name="pipeline_edit"),
    path("settings/pipelines/<int:pk>/delete/", pipelines.pipeline_delete, name="pipeline_delete"),
    path("settings/pipelines/<int:pk>/stages/", pipelines.stage_create, name="stage_create"),
    path("settings/pipelines/<int:pk>/stages/order/", pipelines.stage_order, name="stage_order"),
    path(
        "settings/pipelines/<int:pk>/stages/<int:stage_pk>/",
        pipelines.stage_edit,
        name="stage_edit",
    ),
    path(
        "settings/pipelines/<int:pk>/stages/<int:stage_pk>/delete/",
        pipelines.stage_delete,
        name="stage_delete",
    ),
    path("settings/exchange-rates/", settings_other.exchange_rate_list, name="exchange_rate_list"),
    path(
        "settings/exchange-rates/<int:pk>/",
        settings_other.exchange_rate_edit,
        name="exchange_rate_edit",
    ),
    path(
        "settings/exchange-rates/<int:pk>/delete/",
        settings_other.exchange_rate_delete,
        name="exchange_rate_delete",
    ),
    path(
        "settings/onboarding-templates/",
        settings_other.onboarding_template_list,
        name="onboarding_template_list",
    ),
    path(
        "settings/onboarding-templates/<int:pk>/",
        settings_other.onboarding_template_edit,
        name="onboarding_template_edit",
    ),
    path(
        "settings/onboarding-templates/<int:pk>/steps/",
        settings_other.onboarding_template_steps,
        name="onboarding_template_steps",
    ),
    path(
        "settings/onboarding-templates/<int:pk>/delete/",
        settings_other.onboarding_template_delete,
        name="onboarding_template_delete",
    ),
]

urlpatterns = opportunity_urlpatterns + settings_urlpatterns
