from django.urls import path

from cyclecrm.activities import interaction_views, views
from cyclecrm.web.records.urls import record_urls

# The generic record pages, except the list and the create page, which tasks have their own of.
_OWN_PAGES = {"task_list", "task_create"}

urlpatterns = [
    path("tasks/", views.task_list, name="task_list"),
    path("tasks/new/", views.task_create, name="task_create"),
    path("tasks/<int:pk>/complete/", views.task_complete, name="task_complete"),
    path("tasks/<int:pk>/reopen/", views.task_reopen, name="task_reopen"),
    path("timeline/<str:kind>/<int:pk>/", interaction_views.timeline_panel, name="timeline_panel"),
    path(
        "timeline/<str:kind>/<int:pk>/log/<str:channel>/",
        interaction_views.interaction_log,
        name="interaction_log",
    ),
    path("activities/<int:pk>/", interaction_views.interaction_detail, name="interaction_detail"),
    path("activities/<int:pk>/ics/", interaction_views.interaction_ics, name="interaction_ics"),
    path(
        "activities/<int:pk>/delete/",
        interaction_views.interaction_delete,
        name="interaction_delete",
    ),
    *[pattern for pattern in record_urls(views.TASK_UI, "tasks") if pattern.name not in _OWN_PAGES],
]
