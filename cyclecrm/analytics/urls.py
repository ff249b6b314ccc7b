from django.urls import path

from cyclecrm.analytics import sales_cost_views, views

urlpatterns = [
    path("analytics/", views.analytics_home, name="analytics_home"),
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
]
