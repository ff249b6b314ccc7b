from django.urls import path, re_path

from cyclecrm.loyalty import public, reward_views

urlpatterns = [
    path(
        "loyalty/programs/<int:pk>/rewards/", reward_views.reward_list, name="loyalty_reward_list"
    ),
    path(
        "loyalty/programs/<int:pk>/figures/",
        reward_views.program_figures_page,
        name="loyalty_program_figures",
    ),
    path("loyalty/rewards/<int:pk>/edit/", reward_views.reward_edit, name="loyalty_reward_edit"),
    path(
        "loyalty/rewards/<int:pk>/delete/",
        reward_views.reward_delete,
        name="loyalty_reward_delete",
    ),
    path("loyalty/redemptions/", reward_views.redemption_list, name="redemption_list"),
    re_path(
        r"^loyalty/redemptions/(?P<pk>[0-9]+)/(?P<action>confirm|cancel)/$",
        reward_views.redemption_action,
        name="loyalty_redemption_action",
    ),
    path(
        "loyalty/contacts/<int:contact_pk>/enrol/",
        reward_views.member_enrol,
        name="loyalty_member_enrol",
    ),
    path(
        "loyalty/members/<int:pk>/statement/",
        reward_views.member_statement,
        name="loyalty_member_statement",
    ),
    path(
        "loyalty/members/<int:pk>/redeem/", reward_views.member_redeem, name="loyalty_member_redeem"
    ),
    path(
        "loyalty/members/<int:pk>/send-statement/",
        reward_views.member_send_statement,
        name="loyalty_member_send_statement",
    ),
    path("l/<str:token>/", public.statement_public, name="loyalty_statement_public"),
]
