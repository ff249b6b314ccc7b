from django.urls import path

from cyclecrm.nurture import views

urlpatterns = [
    path("sequences/", views.sequence_list, name="sequence_list"),
    path("sequences/new/", views.sequence_edit, name="sequence_create"),
    path("sequences/enroll/", views.sequence_enroll_picked, name="sequence_enroll_picked"),
    path("sequences/<int:pk>/", views.sequence_detail, name="sequence_detail"),
    path("sequences/<int:pk>/edit/", views.sequence_edit, name="sequence_edit"),
    path("sequences/<int:pk>/status/", views.sequence_status, name="sequence_status"),
    path("sequences/<int:pk>/enroll/", views.sequence_enroll, name="sequence_enroll"),
    path("sequences/<int:pk>/steps/new/", views.step_edit, name="sequence_step_create"),
    path("sequences/<int:pk>/steps/<int:step_id>/", views.step_edit, name="sequence_step_edit"),
    path(
        "sequences/<int:pk>/steps/<int:step_id>/change/",
        views.step_change,
        name="sequence_step_change",
    ),
    path(
        "sequences/<int:pk>/enrollments/<int:enrollment_id>/",
        views.enrollment_change,
        name="sequence_enrollment_change",
    ),
]
