from django.urls import path

from cyclecrm.loyalty import program_views as views

urlpatterns = [
    path("loyalty/programs/", views.program_list, name="loyalty_program_list"),
    path("loyalty/programs/new/", views.program_edit, name="loyalty_program_create"),
    path("loyalty/programs/<int:pk>/", views.program_detail, name="loyalty_program_detail"),
    path("loyalty/programs/<int:pk>/edit/", views.program_edit, name="loyalty_program_edit"),
    path("loyalty/programs/<int:pk>/rules/", views.rule_add, name="loyalty_rule_add"),
    path(
        "loyalty/programs/<int:pk>/rules/<int:rule_id>/delete/",
        views.rule_remove,
        name="loyalty_rule_delete",
    ),
    path("loyalty/programs/<int:pk>/tiers/", views.tier_add, name="loyalty_tier_add"),
    path(
        "loyalty/programs/<int:pk>/tiers/<int:tier_id>/delete/",
        views.tier_remove,
        name="loyalty_tier_delete",
    ),
    path(
        "loyalty/programs/<int:pk>/enroll-customers/",
        views.enroll_customers,
        name="loyalty_enroll_customers",
    ),
    path("loyalty/members/<int:pk>/", views.member_detail, name="loyalty_member_detail"),
]
