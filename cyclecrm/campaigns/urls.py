from django.urls import path

from cyclecrm.campaigns import views

urlpatterns = [
    path("campaigns/", views.campaign_list, name="campaign_list"),
    path("campaigns/new/", views.campaign_edit, name="campaign_create"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<int:pk>/edit/", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<int:pk>/costs/", views.campaign_cost_add, name="campaign_cost_add"),
    path("campaigns/<int:pk>/members/", views.campaign_members_change, name="campaign_members"),
    path("campaigns/<int:pk>/utm/", views.campaign_utm, name="campaign_utm"),
]
