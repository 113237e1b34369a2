"""The city's structure: okrugs and their districts (and settlements), with centres and borders."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from activecitizen.core.models import LocalizedNameMixin


class Okrug(LocalizedNameMixin, models.Model):
    """An administrative okrug: the first level below the city."""

    code = models.CharField(_("code"), max_length=20, unique=True, help_text=_("OKATO or own code"))
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    abbreviation = models.CharField(_("abbreviation"), max_length=30, blank=True)
    centre_lat = models.DecimalField(_("centre latitude"), max_digits=9, decimal_places=6)
    centre_lon = models.DecimalField(_("centre longitude"), max_digits=9, decimal_places=6)
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)

    class Meta:
        verbose_name = _("okrug")
        verbose_name_plural = _("okrugs")
        ordering = ["name_ru"]

    def __str__(self) -> str:
        return self.name


class District(LocalizedNameMixin, models.Model):
    """A district, settlement or urban okrug: where a resident lives or works."""

    class Kind(models.TextChoices):
        DISTRICT = "district", _("district")
        SETTLEMENT = "settlement", _("settlement")
        URBAN_OKRUG = "urban_okrug", _("urban okrug")

    okrug = models.ForeignKey(
        Okrug, on_delete=models.PROTECT, related_name="districts", verbose_name=_("okrug")
    )
    code = models.CharField(_("code"), max_length=20, unique=True, help_text=_("OKATO or own code"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.DISTRICT)
    name_ru = models.CharField(_("name (Russian)"), max_length=120)
    name_en = models.CharField(_("name (English)"), max_length=120, blank=True)
    centre_lat = models.DecimalField(_("centre latitude"), max_digits=9, decimal_places=6)
    centre_lon = models.DecimalField(_("centre longitude"), max_digits=9, decimal_places=6)
    boundary = models.JSONField(_("boundary (GeoJSON geometry)"), null=True, blank=True)

    class Meta:
        verbose_name = _("district")
        verbose_name_plural = _("districts")
        ordering = ["name_ru"]
        indexes = [models.Index(fields=["okrug", "name_ru"])]

    def __str__(self) -> str:
        return self.name
