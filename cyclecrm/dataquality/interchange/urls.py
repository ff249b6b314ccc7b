from django.urls import path

from cyclecrm.dataquality.interchange import views

urlpatterns = [
    path("contacts/vcard/", views.contact_vcard_list, name="contact_vcard_list"),
    path("contacts/vcard/import/", views.contact_vcard_import, name="contact_vcard_import"),
    path("contacts/<int:pk>/vcard/", views.contact_vcard, name="contact_vcard"),
    path("tasks/calendar.ics", views.task_calendar, name="task_calendar"),
    path("tasks/<int:pk>/ics/", views.task_ics, name="task_ics"),
    path("calendar/feed/<str:key>.ics", views.calendar_feed, name="calendar_feed"),
    path("settings/calendar-feed/", views.calendar_feed_settings, name="calendar_feed_settings"),
    path("settings/exports/", views.full_export_list, name="full_export_list"),
    path("settings/exports/start/", views.full_export_start, name="full_export_start"),
    path(
        "settings/exports/<int:pk>/download/",
        views.full_export_download,
        name="full_export_download",
    ),
]
