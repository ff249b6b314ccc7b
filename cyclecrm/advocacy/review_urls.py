from django.urls import path

from cyclecrm.advocacy import public, review_views

urlpatterns = [
    path("r/<str:token>/", public.review_answer, name="review_answer"),
    path("reviews/", review_views.review_list, name="review_list"),
    path("reviews/testimonials.csv", review_views.review_export, name="review_export"),
    path("reviews/<int:pk>/", review_views.review_detail, name="review_detail"),
    path(
        "reviews/<int:pk>/<str:action>/",
        review_views.review_moderate,
        name="review_moderate",
    ),
    path("settings/review-policies/", review_views.review_policy_list, name="review_policy_list"),
    path(
        "settings/review-policies/new/",
        review_views.review_policy_edit,
        name="review_policy_create",
    ),
    path(
        "settings/review-policies/<int:pk>/",
        review_views.review_policy_edit,
        name="review_policy_edit",
    ),
    path(
        "settings/review-policies/<int:pk>/delete/",
        review_views.review_policy_delete,
        name="review_policy_delete",
    ),
    path(
        "contacts/<int:pk>/ask-for-review/",
        review_views.contact_review_ask,
        name="contact_review_ask",
    ),
    path(
        "contacts/<int:pk>/log-review/",
        review_views.contact_review_log,
        name="contact_review_log",
    ),
]
