from django.urls import include, path

urlpatterns = [
    path("", include("cyclecrm.dataquality.imports.urls")),
    path("", include("cyclecrm.dataquality.duplicates.urls")),
    path("", include("cyclecrm.dataquality.privacy.urls")),
    path("", include("cyclecrm.dataquality.interchange.urls")),
]
