"""What the interchange commands share: acting as a user (`--as`, default the first admin)."""

from django.core.management.base import CommandError

from cyclecrm.identity.models import Role, User


def acting_user(username: str | None) -> User:
    """The user named by `--as`, or the first active administrator (by id)."""
    if username:
        user = User.objects.filter(username=username, is_active=True).first()
        if user is None:
            raise CommandError(f"No active user named {username!r}.")
        return user
    admin_role = Role.objects.filter(name="admin").first()
    user = None
    if admin_role is not None:
        user = admin_role.users.filter(is_active=True).order_by("id").first()
    user = user or User.objects.filter(is_superuser=True, is_active=True).order_by("id").first()
    if user is None:
        raise CommandError("No administrator exists; name a user with --as.")
    return user
