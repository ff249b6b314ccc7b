"""Demo steps for the directory: teams, one user per built-in role, tags, custom fields.

These are looked up by name first, so a second run reuses them instead of failing.
"""

from django.contrib.auth.hashers import make_password

from cyclecrm.core.demo.context import DemoContext
from cyclecrm.core.demo.data import CHANNELS, TAG_COLORS, TIERS
from cyclecrm.core.models import CustomField, CustomFieldKind, Tag
from cyclecrm.identity.models import Role, Team, User

# (name, parent)
TEAMS = [
    ("Sales", None),
    ("North", "Sales"),
    ("South", "Sales"),
    ("West", "Sales"),
    ("Marketing", None),
    ("Support", None),
]

# (username, role, team): the admin is a superuser; the manager manages Sales.
USERS = [
    ("admin", "admin", None),
    ("manager", "manager", "Sales"),
    ("rep_north", "sales_rep", "North"),
    ("rep_north2", "sales_rep", "North"),
    ("rep_south", "sales_rep", "South"),
    ("rep_south2", "sales_rep", "South"),
    ("rep_west", "sales_rep", "West"),
    ("rep_west2", "sales_rep", "West"),
    ("marketer", "marketer", "Marketing"),
    ("support", "support_agent", "Support"),
]

CUSTOM_FIELDS = [
    {
        "record_type": "account",
        "key": "tier",
        "label": "Tier",
        "kind": CustomFieldKind.CHOICE,
        "choices": TIERS,
        "help_text": "Commercial tier, drives the service level.",
        "position": 1,
    },
    {
        "record_type": "account",
        "key": "renewal_date",
        "label": "Contract renewal",
        "kind": CustomFieldKind.DATE,
        "help_text": "Next renewal date of the main contract.",
        "position": 2,
    },
    {
        "record_type": "contact",
        "key": "preferred_channel",
        "label": "Preferred channel",
        "kind": CustomFieldKind.CHOICE,
        "choices": list(CHANNELS),
        "help_text": "How the person prefers to be contacted.",
        "position": 1,
    },
]


def build_teams(context: DemoContext) -> None:
    for name, parent in TEAMS:
        team = Team.objects.filter(name__iexact=name).first()
        if team is None:
            parent_team = context.teams[parent] if parent else None
            team = Team.objects.create(name=name, parent=parent_team)
        context.teams[name] = team


def build_users(context: DemoContext) -> None:
    """Every demo user gets the admin's password (one hash: Argon2 is slow on purpose)."""
    fake = context.faker["en_US"]
    password_hash = make_password(context.options.admin_password)
    roles = {role.name: role for role in Role.objects.all()}
    existing = {user.username: user for user in User.objects.filter(username__in=_usernames())}
    for username, role_name, team_name in USERS:
        first, last = fake.first_name(), fake.last_name()
        user = existing.get(username)
        if user is None:
            user = User.objects.create(
                username=username,
                first_name=first,
                last_name=last,
                email=f"{first}.{last}@example.com".lower(),
                password=password_hash,
                is_superuser=username == "admin",
                is_staff=username == "admin",
            )
            user.roles.add(roles[role_name])
            if team_name:
                user.teams.add(context.teams[team_name])
        elif username == "admin":
            user.password = password_hash
            user.save(update_fields=["password"])
        context.users[username] = user
        if team_name:
            context.home_team[user.pk] = context.teams[team_name]
    sales = context.teams["Sales"]
    if sales.manager_id is None:
        sales.manager = context.users["manager"]
        sales.save(update_fields=["manager"])
    context.reps = [context.users[name] for name, role, _ in USERS if role == "sales_rep"]
    context.counts["users"] = len(USERS)


def _usernames() -> list[str]:
    return [username for username, _, _ in USERS]


def build_tags(context: DemoContext) -> None:
    for name, color in TAG_COLORS.items():
        tag, _ = Tag.objects.get_or_create(name=name, defaults={"color": color})
        context.tags[name] = tag


def build_custom_fields(context: DemoContext) -> None:
    for spec in CUSTOM_FIELDS:
        defaults = {key: value for key, value in spec.items() if key not in ("record_type", "key")}
        CustomField.objects.get_or_create(
            record_type=spec["record_type"], key=spec["key"], defaults=defaults
        )
