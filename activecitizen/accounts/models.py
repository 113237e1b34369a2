"""People: residents and staff, the codes they sign in with, and the tokens of their devices."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser, BaseUserManager, PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from activecitizen.core.models import LocalizedNameMixin


class Interest(LocalizedNameMixin, models.Model):
    """Something about a person that polls may target: parent, car owner, pensioner …"""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_ru = models.CharField(_("name (Russian)"), max_length=80)
    name_en = models.CharField(_("name (English)"), max_length=80)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("interest")
        verbose_name_plural = _("interests")
        ordering = ["position", "code"]

    def __str__(self) -> str:
        return self.name


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, phone: str, password: str | None = None, **fields) -> User:
        if not phone:
            raise ValueError("A person needs a phone number")
        user = self.model(phone=phone, **fields)
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save(using=self._db)
        return user

    def create_superuser(self, phone: str, password: str | None = None, **fields) -> User:
        fields.setdefault("is_staff", True)
        fields.setdefault("is_superuser", True)
        return self.create_user(phone, password, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    """A person. The phone number (E.164) is the login; the code sent to it is the password."""

    class Gender(models.TextChoices):
        FEMALE = "female", _("female")
        MALE = "male", _("male")

    class Verification(models.IntegerChoices):
        PHONE_CONFIRMED = 1, _("phone confirmed")
        RESIDENT_VERIFIED = 2, _("resident verified")

    phone = models.CharField(_("phone"), max_length=16, unique=True)
    email = models.EmailField(_("e-mail"), max_length=254, blank=True)
    first_name = models.CharField(_("first name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"), null=True, blank=True)
    gender = models.CharField(_("gender"), max_length=10, choices=Gender.choices, blank=True)
    home_district = models.ForeignKey(
        "geo.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("home district"),
    )
    work_district = models.ForeignKey(
        "geo.District",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="workers",
        verbose_name=_("work district"),
    )
    # Where the person lives, if they chose to say: only for "something new near my home". It
    # is shown to nobody, and kept to 4 decimal places (about 10 m) whatever was sent.
    home_lat = models.DecimalField(
        _("home latitude"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    home_lon = models.DecimalField(
        _("home longitude"), max_digits=7, decimal_places=4, null=True, blank=True
    )
    interests = models.ManyToManyField(
        Interest, blank=True, related_name="people", verbose_name=_("interests")
    )
    verification = models.PositiveSmallIntegerField(
        _("verification level"),
        choices=Verification.choices,
        default=Verification.PHONE_CONFIRMED,
    )
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("verified by"),
    )
    verified_at = models.DateTimeField(_("verified at"), null=True, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("staff"), default=False, help_text=_("May open the administration site.")
    )
    date_joined = models.DateTimeField(_("joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "phone"
    REQUIRED_FIELDS = []

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        indexes = [
            models.Index(fields=["last_name", "first_name"]),
            # The box of "within 1 km of a point" first narrows by latitude.
            models.Index(
                fields=["home_lat", "home_lon"],
                name="accounts_user_home_point",
                condition=models.Q(home_lat__isnull=False),
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(home_lat__isnull=True, home_lon__isnull=True)
                | models.Q(
                    home_lat__gte=-90, home_lat__lte=90, home_lon__gte=-180, home_lon__lte=180
                ),
                name="accounts_user_home_point_whole_and_on_earth",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name or self.phone

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    def get_full_name(self) -> str:
        return self.full_name

    def get_short_name(self) -> str:
        return self.first_name or self.phone

    @property
    def profile_complete(self) -> bool:
        return bool(self.first_name and self.birth_date and self.home_district_id)

    @property
    def is_resident_verified(self) -> bool:
        return self.verification >= self.Verification.RESIDENT_VERIFIED


class SignInCode(models.Model):
    """A one-time code sent by SMS. Only its keyed hash is stored."""

    phone = models.CharField(_("phone"), max_length=16, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)
    # A newer code for the same phone supersedes this one.
    superseded = models.BooleanField(default=False)
    requested_from = models.GenericIPAddressField(null=True, blank=True)

    class Meta:
        verbose_name = _("sign-in code")
        verbose_name_plural = _("sign-in codes")
        indexes = [models.Index(fields=["phone", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.phone} {self.created_at:%Y-%m-%d %H:%M}"


class ApiToken(models.Model):
    """A bearer token of the mobile app. The token itself is shown once; we keep its SHA-256."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens"
    )
    key_hash = models.CharField(max_length=64, unique=True)
    # The first characters let a person tell their devices apart without revealing the token.
    prefix = models.CharField(max_length=8)
    device = models.CharField(_("device"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.device or '—'})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
