from django.contrib.auth import views as auth_views
from django.urls import path

from cyclecrm.identity.views import (
    custom_fields,
    explain,
    login,
    roles,
    security_log,
    teams,
    tokens,
    two_factor,
    users,
)

auth_urlpatterns = [
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(template_name="identity/login.html"),
        name="login",
    ),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "accounts/password/change/",
        login.PasswordChangeView.as_view(),
        name="password_change",
    ),
    path(
        "accounts/password/change/done/",
        auth_views.PasswordChangeDoneView.as_view(
            template_name="identity/password_change_done.html"
        ),
        name="password_change_done",
    ),
    path(
        "accounts/password/reset/",
        auth_views.PasswordResetView.as_view(
            template_name="identity/password_reset.html",
            email_template_name="identity/password_reset_email.txt",
            subject_template_name="identity/password_reset_subject.txt",
        ),
        name="password_reset",
    ),
    path(
        "accounts/password/reset/done/",
        auth_views.PasswordResetDoneView.as_view(template_name="identity/password_reset_done.html"),
        name="password_reset_done",
    ),
    path(
        "accounts/reset/<uidb64>/<token>/",
        login.PasswordResetConfirmView.as_view(),
        name="password_reset_confirm",
    ),
    path(
        "accounts/reset/done/",
        auth_views.PasswordResetCompleteView.as_view(
            template_name="identity/password_reset_complete.html"
        ),
        name="password_reset_complete",
    ),
]

two_factor_urlpatterns = [
    path("accounts/security/", two_factor.account_security, name="account_security"),
    path("accounts/two-factor/setup/", two_factor.two_factor_setup, name="two_factor_setup"),
    path("accounts/two-factor/verify/", two_factor.two_factor_verify, name="two_factor_verify"),
    path(
        "accounts/two-factor/backup-codes/",
        two_factor.backup_codes_regenerate,
        name="two_factor_backup_codes",
    ),
    path("accounts/two-factor/remove/", two_factor.two_factor_remove, name="two_factor_remove"),
]

settings_urlpatterns = [
    path("settings/users/", users.user_list, name="user_list"),
    path("settings/users/new/", users.user_create, name="user_create"),
    path("settings/users/<int:pk>/", users.user_edit, name="user_edit"),
    path("settings/users/<int:pk>/password/", users.user_password, name="user_password"),
    path("settings/users/<int:pk>/unlock/", users.user_unlock, name="user_unlock"),
    path(
        "settings/users/<int:pk>/two-factor/reset/",
        users.user_two_factor_reset,
        name="user_two_factor_reset",
    ),
    path("settings/security-log/", security_log.security_log, name="security_log"),
    path("settings/teams/", teams.team_list, name="team_list"),
    path("settings/teams/new/", teams.team_create, name="team_create"),
    path("settings/teams/<int:pk>/", teams.team_edit, name="team_edit"),
    path("settings/roles/", roles.role_list, name="role_list"),
    path("settings/roles/<int:pk>/", roles.role_edit, name="role_edit"),
    path("settings/custom-fields/", custom_fields.custom_field_list, name="custom_field_list"),
    path(
        "settings/custom-fields/new/",
        custom_fields.custom_field_create,
        name="custom_field_create",
    ),
    path(
        "settings/custom-fields/<int:pk>/",
        custom_fields.custom_field_edit,
        name="custom_field_edit",
    ),
    path(
        "settings/custom-fields/<int:pk>/active/",
        custom_fields.custom_field_active,
        name="custom_field_active",
    ),
    path("settings/tokens/", tokens.token_list, name="token_list"),
    path("settings/tokens/new/", tokens.token_create, name="token_create"),
    path("settings/tokens/<int:pk>/revoke/", tokens.token_revoke, name="token_revoke"),
    path("settings/explain/", explain.explain_access, name="explain_access"),
]

urlpatterns = auth_urlpatterns + two_factor_urlpatterns + settings_urlpatterns
