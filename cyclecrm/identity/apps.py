from django.apps import AppConfig
from django.db.models.signals import post_migrate


class IdentityConfig(AppConfig):
    name = "cyclecrm.identity"
    label = "identity"
    verbose_name = "Identity and permissions"

    def ready(self) -> None:
        from cyclecrm.core.models import CustomField, Tag
        from cyclecrm.core.registry import register
        from cyclecrm.identity.models import ApiToken, Role, Team, User

        register("user", "Users", User, owner_field="id")
        register("team", "Teams", Team)
        register("role", "Roles", Role)
        register("token", "API tokens", ApiToken, owner_field="user")
        register("tag", "Tags", Tag)
        register("custom_field", "Custom fields", CustomField)
        post_migrate.connect(_sync_roles, sender=self)


def _sync_roles(**kwargs: object) -> None:
    from cyclecrm.core.registry import record_types
    from cyclecrm.identity.roles import builtin_roles_sync

    builtin_roles_sync(list(record_types()))
