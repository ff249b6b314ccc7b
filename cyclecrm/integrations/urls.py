from django.urls import path

from cyclecrm.integrations import views

urlpatterns = [
    path("emails/compose/<str:kind>/<int:pk>/", views.email_compose, name="email_compose"),
    path(
        "emails/compose/<str:kind>/<int:pk>/template/",
        views.email_compose_template,
        name="email_compose_template",
    ),
    path("settings/mailboxes/", views.mailbox_list, name="mailbox_list"),
    path("settings/mailboxes/new/", views.mailbox_create, name="mailbox_create"),
    path("settings/mailboxes/<int:pk>/", views.mailbox_edit, name="mailbox_edit"),
    path("settings/mailboxes/<int:pk>/poll/", views.mailbox_poll_now, name="mailbox_poll"),
    path("settings/mailboxes/<int:pk>/delete/", views.mailbox_delete, name="mailbox_delete"),
    path("settings/email-templates/", views.email_template_list, name="email_template_list"),
    path(
        "settings/email-templates/new/", views.email_template_create, name="email_template_create"
    ),
    path(
        "settings/email-templates/<int:pk>/",
        views.email_template_edit,
        name="email_template_edit",
    ),
    path(
        "settings/email-templates/<int:pk>/delete/",
        views.email_template_delete,
        name="email_template_delete",
    ),
    # Public: reached from tracked e-mails, no login.
    path("t/e/o/<str:signed>.gif", views.email_track_open, name="email_track_open"),
    path("t/e/c/<str:signed>", views.email_track_click, name="email_track_click"),
]
