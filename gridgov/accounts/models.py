import hashlib
import secrets

from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.choices import REGION_ROLES, ROLE_REGION_LEVELS, Role
from gridgov.accounts.scoping import ScopedQuerySet


class DepartmentQuerySet(ScopedQuerySet):
    region_path_lookup = "region__path"


class Department(models.Model):
    """A functional agency (职能部门) of a city or district government."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("region served"),
        on_delete=models.PROTECT,
        related_name="departments",
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["region__path", "code"]

    def __str__(self):
        return self.name


class UserQuerySet(ScopedQuerySet):
    region_path_lookup = "region__path"


class ScopedUserManager(UserManager.from_queryset(UserQuerySet)):
    pass


class User(AbstractUser):
    """Anyone who signs in. Staff act for a region (department handlers for a department);
    grid workers are also assigned the grids they patrol."""

    role = models.CharField(_("role"), max_length=24, choices=Role.choices, default=Role.RESIDENT)
    region = models.ForeignKey(
        "regions.Region",
        verbose_name=_("acts for region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="staff",
    )
    department = models.ForeignKey(
        Department,
        verbose_name=_("department"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="handlers",
    )
    grids = models.ManyToManyField(
        "regions.Region",
        verbose_name=_("grids patrolled"),
        blank=True,
        related_name="grid_workers",
        limit_choices_to={"level": "grid"},
    )
    display_name = models.CharField(_("display name"), max_length=50, blank=True)

    objects = ScopedUserManager()

    class Meta(AbstractUser.Meta):
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.display_name or self.username

    def clean(self):
        super().clean()
        if self.role in REGION_ROLES:
            if self.region is None:
                raise ValidationError({"region": _("This role acts for a region: choose one.")})
            allowed = ROLE_REGION_LEVELS.get(self.role)
            if allowed and self.region.level not in allowed:
                raise ValidationError(
                    {"region": _("This role cannot act for a region at that level.")}
                )
        if self.role == Role.DEPARTMENT_HANDLER and self.department is None:
            raise ValidationError({"department": _("A department handler needs a department.")})


class ApiTokenQuerySet(models.QuerySet):
    def authenticate(self, raw: str):
        """The active user a raw token belongs to, or None; marks the token used."""
        if not raw or len(raw) > 200:
            return None
        token = (
            # The user's region decides their scope on nearly every call; its boundary
            # is never needed to act and can be large.
            self.select_related("user__region")
            .defer("user__region__boundary")
            .filter(key_hash=ApiToken.hash(raw), revoked_at__isnull=True)
            .first()
        )
        if token is None or not token.user.is_active:
            return None
        now = timezone.now()
        # Writing on every request would make each API call a write; a minute is precise
        # enough for "last used".
        if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user


class ApiToken(models.Model):
    """A user's key to the API (Authorization: Bearer …, or Open311's api_key).

    Only a hash is stored: the token is shown once, when it is created.
    """

    PREFIX = "ggv_"

    user = models.ForeignKey(
        User, verbose_name=_("user"), on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField(_("name"), max_length=100, help_text=_("What the token is for."))
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    hint = models.CharField(_("ends with"), max_length=8, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.user} · {self.name} (…{self.hint})"

    @staticmethod
    def hash(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @classmethod
    def issue(cls, user, name: str) -> tuple["ApiToken", str]:
        """Create a token; returns it with the raw key, which is never stored."""
        # Hex, not URL-safe base64: a "-" or "_" breaks double-click selection, and a hint
        # starting with "-" would read as an option in `gridgov token revoke USER HINT`.
        raw = cls.PREFIX + secrets.token_hex(24)
        token = cls.objects.create(user=user, name=name, key_hash=cls.hash(raw), hint=raw[-4:])
        return token, raw


class LoginCounter(models.Model):
    """Failed logins counted for an account (the username as typed, whether or not it
    exists) or for a client address, and the lock they lead to (gridgov.accounts.throttle).

    In the database, so that every web process counts the same failures.
    """

    class Kind(models.TextChoices):
        ACCOUNT = "account", _("account")
        ADDRESS = "address", _("address")

    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    key = models.CharField(_("username or address"), max_length=150)
    failures = models.PositiveIntegerField(_("failures"), default=0)
    first_failure_at = models.DateTimeField(_("first failure counted"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    class Meta:
        verbose_name = _("login lock")
        verbose_name_plural = _("login locks")
        ordering = ["-locked_until"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "key"], name="login_counter_kind_key"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.key}"


class LoginAttempt(models.Model):
    """Every login through a form (the site's and the admin's), kept for the audit."""

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("logged in")
        FAILURE = "failure", _("wrong username or password")
        LOCKOUT = "lockout", _("wrong password, and locked")
        REFUSED = "refused", _("refused while locked")

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    username = models.CharField(_("username"), max_length=150, db_index=True)
    address = models.CharField(_("client address"), max_length=45, blank=True, db_index=True)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices)
    door = models.CharField(_("page"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        ordering = ["-at"]

    def __str__(self):
        return f"{self.username} @ {self.address} · {self.get_outcome_display()}"
