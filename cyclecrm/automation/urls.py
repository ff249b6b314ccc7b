from django.urls import path

from cyclecrm.automation import views

urlpatterns = [
    path("automation/workflows/", views.workflow_list, name="workflow_list"),
    path("automation/workflows/new/", views.workflow_edit, name="workflow_create"),
    path("automation/workflows/<int:pk>/", views.workflow_detail, name="workflow_detail"),
    path("automation/workflows/<int:pk>/edit/", views.workflow_edit, name="workflow_edit"),
    path("automation/webhooks/", views.webhook_list, name="webhook_list"),
    path("automation/webhooks/new/", views.webhook_edit, name="webhook_create"),
    path("automation/webhooks/<int:pk>/", views.webhook_detail, name="webhook_detail"),
    path("automation/webhooks/<int:pk>/edit/", views.webhook_edit, name="webhook_edit"),
    path("automation/webhooks/<int:pk>/actions/", views.webhook_action, name="webhook_action"),
]
