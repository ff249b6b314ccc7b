from django.urls import path

from cyclecrm.dataquality.duplicates import views

urlpatterns = [
    path("duplicates/", views.duplicate_queue, name="duplicate_queue"),
    path("duplicates/scan/", views.duplicate_scan, name="duplicate_scan"),
    path("duplicates/merge-batch/", views.duplicate_merge_batch, name="duplicate_merge_batch"),
    path("duplicates/<int:pk>/", views.duplicate_cluster, name="duplicate_cluster"),
    path("duplicates/<int:pk>/dismiss/", views.duplicate_dismiss, name="duplicate_dismiss"),
    path("duplicates/merges/<int:pk>/", views.duplicate_merge, name="duplicate_merge"),
    path(
        "duplicates/merges/<int:pk>/undo/",
        views.duplicate_merge_undo,
        name="duplicate_merge_undo",
    ),
]
