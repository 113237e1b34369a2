"""Abstract building blocks shared by every app's tables."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        abstract = True


class LocalizedNameMixin:
    """`name` in the language of the current request, from `name_<lang>` columns.

    Reference data (okrugs, districts, interests) ships names in every site language as plain
    columns: they are few, they are searched, and the admin edits them side by side.
    """

    @property
    def name(self) -> str:
        from django.utils.translation import get_language

        lang = (get_language() or "ru").split("-")[0]
        return getattr(self, f"name_{lang}", "") or self.name_ru  # type: ignore[attr-defined]

    def __str__(self) -> str:
        return self.name
