from django.urls import path, re_path

from cyclecrm.analytics import quota_views, sales_cost_views, views

urlpatterns = [
    path("analytics/", views.analytics_home, name="analytics_home"),
    path("analytics/pins/", views.pin_create, name="kpi_pin"),
    path("analytics/pins/<int:pk>/delete/", views.pin_delete, name="kpi_unpin"),
    re_path(
        r"^analytics/kpis/(?P<name>[a-z0-9_]+)\.(?P<fmt>csv|xlsx)$",
        views.kpi_download,
        name="kpi_download",
    ),
    path("analytics/<slug:slug>/", views.dashboard_page, name="dashboard"),
    path("settings/sales-costs/", sales_cost_views.sales_cost_list, name="sales_cost_list"),
    path(
        "settings/sales-costs/<int:pk>/", sales_cost_views.sales_cost_edit, name="sales_cost_edit"
    ),
    path(
        "settings/sales-costs/<int:pk>/delete/",
        sales_cost_views.sales_cost_delete,
        name="sales_cost_delete",
    ),
    path("settings/quotas/", quota_views.quota_list_view, name="quota_list"),
    path("settings/quotas/<int:pk>/", quota_views.quota_edit, name="quota_edit"),
    path("settings/quotas/<int:pk>/delete/", quota_views.quota_delete_view, name="quota_delete"),
]
