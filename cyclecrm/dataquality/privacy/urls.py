from django.urls import path

from cyclecrm.dataquality.privacy import views

urlpatterns = [
    path("contacts/<int:pk>/consents/record", views.consent_record, name="consent_record"),
    path("contacts/<int:pk>/consents.csv", views.consent_csv, name="consent_csv"),
    path("contacts/<int:pk>/data.json", views.contact_export, name="contact_data_export"),
    path("contacts/<int:pk>/erase", views.contact_erase, name="contact_erase"),
    path("settings/retention/", views.retention_settings, name="retention_settings"),
    path("settings/retention/count", views.retention_count, name="retention_count"),
    path("settings/retention/<int:pk>/run", views.retention_run, name="retention_run"),
    path("settings/retention/<int:pk>/delete", views.retention_delete, name="retention_delete"),
]
