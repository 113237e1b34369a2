from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class TransparencyConfig(AppConfig):
    name = "activecitizen.transparency"
    label = "transparency"
    verbose_name = _("Transparency logs")

    def ready(self) -> None:
        # core cannot import this app (DESIGN.md's arrows); it runs what apps register.
        from activecitizen.core.health import register_health_check
        from activecitizen.transparency.health import sealing_health

        register_health_check("transparency", sealing_health)
