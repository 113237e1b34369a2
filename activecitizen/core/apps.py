from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoreConfig(AppConfig):
    name = "activecitizen.core"
    label = "core"
    verbose_name = _("Core")

    def ready(self) -> None:
        # Tasks declared with @shared_task bind to this application once it exists.
        from django.db.backends.signals import connection_created

        from activecitizen import celery  # noqa: F401
        from activecitizen.core.sqlite import install_unicode_like

        connection_created.connect(install_unicode_like, dispatch_uid="core.unicode_like")
