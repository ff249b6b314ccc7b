from django.urls import path

from cyclecrm.analytics import views

urlpatterns = [
    path("analytics/", views.analytics_home, name="analytics_home"),
    path("analytics/<slug:slug>/", views.dashboard_page, name="dashboard"),
]
