from django.urls import path

from cyclecrm.loyalty import referral_views

urlpatterns = [
    path("referrals/", referral_views.referral_list, name="referral_list"),
    path(
        "referrals/codes/<int:contact_id>/",
        referral_views.referral_code_create_view,
        name="referral_code_create",
    ),
]
