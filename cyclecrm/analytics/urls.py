from django.urls import path

from cyclecrm.analytics import quota_views, views

urlpatterns = [
    path("analytics/", views.analytics_home, name="analytics_home"),
    path("analytics/<slug:slug>/", views.dashboard_page, name="dashboard"),
    path("settings/quotas/", quota_views.quota_list_view, name="quota_list"),
    path("settings/quotas/<int:pk>/", quota_views.quota_edit, name="quota_edit"),
    path("settings/quotas/<int:pk>/delete/", quota_views.quota_delete_view, name="quota_delete"),
]
