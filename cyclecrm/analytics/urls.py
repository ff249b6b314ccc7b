from django.urls import path, re_path

from cyclecrm.analytics import views

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
]
