"""Users, teams, roles, explicit shares and API tokens."""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone

from cyclecrm.core.models import Versioned


class Level(models.TextChoices):
    """How far a role's right reaches: ordered from narrowest to widest."""

    NONE = "none", "None"
    OWN = "own", "Own and shared"
    TEAM = "team", "Team and teams below"
    ALL = "all", "All"


LEVEL_RANK = {Level.NONE: 0, Level.OWN: 1, Level.TEAM: 2, Level.ALL: 3}


class Action(models.TextChoices):
    READ = "read", "Read"
    CREATE = "create", "Create"
    EDIT = "edit", "Edit"
    DELETE = "delete", "Delete"
    EXPORT = "export", "Export"


class FieldAccess(models.TextChoices):
    HIDDEN = "hidden", "Hidden"
    READ = "read", "Read only"
    EDIT = "edit", "Read and edit"


FIELD_ACCESS_RANK = {FieldAccess.HIDDEN: 0, FieldAccess.READ: 1, FieldAccess.EDIT: 2}


class Role(models.Model):
    """A matrix of rights: for each record type and action, a level.

    `permissions` is `{record_type: {action: level}}`; a missing entry means `none`.
    `field_rules` is `{record_type: {field: "hidden" | "read"}}`; a missing field is editable.
    """

    name = models.SlugField(max_length=50, unique=True)
    label = models.CharField(max_length=100)
    description = models.TextField(blank=True)
    is_builtin = models.BooleanField(default=False)
    permissions = models.JSONField(default=dict, blank=True)
    field_rules = models.JSONField(default=dict, blank=True)
    # Users with this role (directly or through a team) must log in with a second factor.
    requires_two_factor = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    record_type = "role"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.label or self.name


class Team(Versioned):
    name = models.CharField(max_length=100, unique=True)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    manager = models.ForeignKey(
        "identity.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="managed_teams",
    )
    roles = models.ManyToManyField(Role, blank=True, related_name="teams")
    created_at = models.DateTimeField(default=timezone.now)

    record_type = "team"

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class User(Versioned, AbstractUser):
    teams = models.ManyToManyField(Team, blank=True, related_name="members")
    roles = models.ManyToManyField(Role, blank=True, related_name="users")

    record_type = "user"

    class Meta:
        ordering = ["username"]

    def __str__(self) -> str:
        return self.get_full_name() or self.username

    @property
    def display_name(self) -> str:
        return str(self)


class RecordShare(models.Model):
    """An explicit grant of one record to a user or a team, beyond what their roles reach."""

    record_type = models.CharField(max_length=40)
    object_id = models.BigIntegerField()
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="shares"
    )
    can_edit = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(
                fields=["record_type", "user", "object_id"], name="identity_share_user_idx"
            ),
            models.Index(
                fields=["record_type", "team", "object_id"], name="identity_share_team_idx"
            ),
            models.Index(fields=["record_type", "object_id"], name="identity_share_record_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(user__isnull=False) ^ models.Q(team__isnull=False),
                name="identity_share_user_xor_team",
            ),
        ]

    def __str__(self) -> str:
        target = f"user {self.user_id}" if self.user_id else f"team {self.team_id}"
        return f"{self.record_type}#{self.object_id} shared with {target}"


class TokenScope(models.TextChoices):
    READ = "read", "Read only"
    WRITE = "write", "Read and write"


class ApiToken(models.Model):
    """A bearer token. Only a SHA-256 of the secret is stored; the secret is shown once."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    token_hash = models.CharField(max_length=64, unique=True)
    scope = models.CharField(max_length=10, choices=TokenScope.choices, default=TokenScope.READ)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    record_type = "token"

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        if self.revoked_at:
            return False
        return not (self.expires_at and self.expires_at <= timezone.now())


class SecurityEventKind(models.TextChoices):
    LOGIN = "login", "Logged in"
    LOGIN_FAILED = "login_failed", "Login failed"
    LOCKED_OUT = "locked_out", "Locked out"
    UNLOCKED = "unlocked", "Unlocked"
    LOGOUT = "logout", "Logged out"
    SESSION_EXPIRED = "session_expired", "Session expired"
    TWO_FACTOR_PASSED = "2fa_passed", "Second factor passed"
    TWO_FACTOR_FAILED = "2fa_failed", "Second factor refused"
    TWO_FACTOR_ENROLLED = "2fa_enrolled", "Two-factor enrolled"
    TWO_FACTOR_REMOVED = "2fa_removed", "Two-factor removed"
    BACKUP_CODES_GENERATED = "backup_codes", "Backup codes generated"
    PASSWORD_CHANGED = "password_changed", "Password changed"
    ROLES_CHANGED = "roles_changed", "Roles changed"
    TEAMS_CHANGED = "teams_changed", "Team membership changed"
    ROLE_EDITED = "role_edited", "Role permissions edited"
    SHARE_GRANTED = "share_granted", "Record shared"
    SHARE_REVOKED = "share_revoked", "Share removed"


class SecurityEvent(models.Model):
    """One entry of the security log: who did what to which account, from where.

    Append-only. `user` is the account concerned (None for a failed login with an unknown user
    name: `username` keeps what was typed); `actor` is who acted when that is someone else (an
    admin unlocking or changing rights). Record history (core.HistoryEntry) keeps the per-record
    diffs; this table answers "what happened to accounts and rights" across all of them.
    """

    kind = models.CharField(max_length=20, choices=SecurityEventKind.choices)
    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="security_events"
    )
    username = models.CharField(max_length=150, blank=True)
    actor = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=255, blank=True)
    detail = models.JSONField(default=dict, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    at = models.DateTimeField(default=timezone.now)

    record_type = "security_event"

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["-at", "-id"], name="identity_secevent_at_idx"),
            models.Index(fields=["kind", "-at"], name="identity_secevent_kind_idx"),
            models.Index(fields=["user", "-at"], name="identity_secevent_user_idx"),
            models.Index(fields=["ip_address", "-at"], name="identity_secevent_ip_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.username or self.user_id}"
