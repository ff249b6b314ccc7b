from django.urls import path

from cyclecrm.intelligence import cluster_views

urlpatterns = [
    path("intelligence/clusters/", cluster_views.cluster_page, name="intelligence_clusters"),
    path(
        "intelligence/clusters/<int:number>/segment/",
        cluster_views.cluster_save_segment,
        name="intelligence_cluster_segment",
    ),
]
