from django.urls import path

from cyclecrm.web import views

urlpatterns = [
    path("", views.home, name="home"),
    path("search/", views.search, name="search"),
    path("views/save/", views.saved_view_create, name="saved_view_create"),
    path("views/<int:pk>/", views.saved_view_open, name="saved_view_open"),
    path("views/<int:pk>/delete/", views.saved_view_delete, name="saved_view_delete"),
]
