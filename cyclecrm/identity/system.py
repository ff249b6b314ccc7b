"""The system actor: who acts for public endpoints (web forms, tracking) and background jobs.

It is a superuser that cannot log in (no usable password, and `system_actor()` is never offered a
token), so jobs and public submissions pass through the same services and leave history rows
attributed to "system".
"""

from cyclecrm.identity.models import User

SYSTEM_USERNAME = "system"


def system_actor() -> User:
    user, created = User.objects.get_or_create(
        username=SYSTEM_USERNAME,
        defaults={"is_superuser": True, "is_staff": False, "first_name": "System"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user
