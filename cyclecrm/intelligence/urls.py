from django.urls import path

from cyclecrm.intelligence import views

urlpatterns = [
    path("intelligence/", views.model_overview, name="intelligence_overview"),
    path("intelligence/models/<str:kind>/", views.model_detail, name="intelligence_model"),
    path(
        "intelligence/models/<str:kind>/train/",
        views.model_retrain,
        name="intelligence_model_train",
    ),
    path("intelligence/runs/<int:pk>/status/", views.run_status, name="intelligence_run_status"),
    path("intelligence/hot-leads/", views.hot_leads, name="intelligence_hot_leads"),
    path("intelligence/at-risk/", views.customers_at_risk, name="intelligence_at_risk"),
    path("intelligence/best-customers/", views.best_customers, name="intelligence_best_customers"),
]
