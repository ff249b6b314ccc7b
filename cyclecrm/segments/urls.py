from django.urls import path

from cyclecrm.segments import persona_views, views

urlpatterns = [
    path("segments/", views.segment_list, name="segment_list"),
    path("segments/new/", views.segment_edit, name="segment_create"),
    path("segments/add-matching/", views.add_matching_contacts, name="segment_add_matching"),
    path("segments/preview/", views.segment_preview, name="segment_preview"),
    path("segments/<int:pk>/", views.segment_detail, name="segment_detail"),
    path("segments/<int:pk>/edit/", views.segment_edit, name="segment_edit"),
    path("personas/", persona_views.persona_list, name="persona_list"),
    path("personas/new/", persona_views.persona_edit, name="persona_create"),
    path("personas/<int:pk>/", persona_views.persona_detail, name="persona_detail"),
    path("personas/<int:pk>/edit/", persona_views.persona_edit, name="persona_edit"),
]
