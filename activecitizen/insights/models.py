"""Insights owns no data: one unmanaged model carries the permission to see the dashboard."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Dashboard(models.Model):
    """No table: only the home of the `insights.view_dashboard` permission."""

    class Meta:
        managed = False
        default_permissions = ()
        permissions = [("view_dashboard", _("Can see the insights dashboard"))]

    def __str__(self) -> str:
        return str(_("Insights dashboard"))
