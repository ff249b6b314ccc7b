from django.urls import path

from cyclecrm.jobs import views

urlpatterns = [
    path("jobs/", views.job_list, name="job_list"),
    path("jobs/<int:pk>/retry/", views.job_retry, name="job_retry"),
]
