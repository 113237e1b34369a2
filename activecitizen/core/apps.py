from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "activecitizen.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Tasks declared with @shared_task bind to this application once it exists.
        from activecitizen import celery  # noqa: F401
