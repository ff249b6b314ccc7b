from django.urls import path

from cyclecrm.feedback import public, views

urlpatterns = [
    path("surveys/", views.survey_list, name="survey_list"),
    path("surveys/new/", views.survey_edit, name="survey_create"),
    path("surveys/<int:pk>/", views.survey_detail, name="survey_detail"),
    path("surveys/<int:pk>/edit/", views.survey_edit, name="survey_edit"),
    path("surveys/<int:pk>/send/", views.survey_send_view, name="survey_send"),
    path("s/<str:token>/", public.survey_answer, name="survey_answer"),
]
