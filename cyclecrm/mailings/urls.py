from django.urls import path

from cyclecrm.mailings import views

urlpatterns = [
    path("mailings/", views.mailing_list, name="mailing_list"),
    path("mailings/new/", views.mailing_edit, name="mailing_create"),
    path("mailings/<int:pk>/", views.mailing_detail, name="mailing_detail"),
    path("mailings/<int:pk>/edit/", views.mailing_edit, name="mailing_edit"),
    path("mailings/<int:pk>/preview/", views.mailing_preview, name="mailing_preview"),
    path("mailings/<int:pk>/action/", views.mailing_action, name="mailing_action"),
    path("mailings/audience-count/", views.audience_count, name="mailing_audience_count"),
    # Public: reached from the messages, no login.
    path("t/o/<str:signed>.gif", views.track_open, name="mailing_track_open"),
    path("t/c/<str:signed>", views.track_click, name="mailing_track_click"),
    path("u/<str:signed>", views.unsubscribe, name="mailing_unsubscribe"),
]
