from django.urls import path

from cyclecrm.leads.capture import public, views

urlpatterns = [
    path("settings/capture-forms/", views.capture_form_list, name="capture_form_list"),
    path("settings/capture-forms/new/", views.capture_form_create, name="capture_form_create"),
    path("settings/capture-forms/<int:pk>/", views.capture_form_detail, name="capture_form_detail"),
    path(
        "settings/capture-forms/<int:pk>/edit/",
        views.capture_form_edit,
        name="capture_form_edit",
    ),
    path(
        "settings/capture-forms/<int:pk>/active/",
        views.capture_form_active,
        name="capture_form_active",
    ),
    path("f/confirm/<str:token>/", public.capture_form_confirm, name="capture_form_confirm"),
    path("f/<str:public_key>/", public.capture_form_public, name="capture_form_public"),
]
