from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IdentityConfig(AppConfig):
    name = "cyclecrm.identity"
    label = "identity"
    verbose_name = "Identity and permissions"

    def ready(self) -> None:
        from cyclecrm.core.models import CustomField, Tag
        from cyclecrm.core.registry import register
        from cyclecrm.identity.models import ApiToken, Role, SecurityEvent, Team, User

        register("user", "Users", User, owner_field="id")
        register("team", "Teams", Team)
        register("role", "Roles", Role)
        register("token", "API tokens", ApiToken, owner_field="user")
        register("security_event", "Security log", SecurityEvent, owner_field="user")
        register("tag", "Tags", Tag)
        register("custom_field", "Custom fields", CustomField)
        post_migrate.connect(_sync_roles, sender=self)
        _connect_security_log()


def _sync_roles(**kwargs: object) -> None:
    from cyclecrm.core.registry import record_types
    from cyclecrm.identity.roles import builtin_roles_sync

    builtin_roles_sync(list(record_types()))


def _connect_security_log() -> None:
    from axes.signals import user_locked_out
    from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed

    from cyclecrm.identity import receivers

    user_logged_in.connect(receivers.on_logged_in, dispatch_uid="cyclecrm_security_login")
    user_logged_out.connect(receivers.on_logged_out, dispatch_uid="cyclecrm_security_logout")
    user_login_failed.connect(receivers.on_login_failed, dispatch_uid="cyclecrm_security_failed")
    user_locked_out.connect(receivers.on_locked_out, dispatch_uid="cyclecrm_security_locked")
