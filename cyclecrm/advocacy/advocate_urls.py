from django.urls import path

from cyclecrm.advocacy import advocate_views

urlpatterns = [
    path("advocates/", advocate_views.advocate_list, name="advocate_list"),
    path("advocates/refresh/", advocate_views.advocate_refresh, name="advocate_refresh"),
    path("advocates/selection/", advocate_views.advocate_selection, name="advocate_selection"),
    path(
        "contacts/<int:pk>/social-mention/",
        advocate_views.advocate_mention,
        name="advocate_mention",
    ),
]
