from django.urls import path

from cyclecrm.advocacy import public

urlpatterns = [
    path("r/<str:token>/", public.review_answer, name="review_answer"),
]
