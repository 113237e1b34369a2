from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PulseConfig(AppConfig):
    name = "activecitizen.pulse"
    label = "pulse"
    verbose_name = _("Pulse of the capital")

    def ready(self) -> None:
        from activecitizen.core.demo import register_demo_step
        from activecitizen.pulse.demo import seed_pulse

        register_role_permissions()
        # After the house (order 40): the demo residents exist by then; nothing else is needed.
        register_demo_step("pulse", seed_pulse, order=55)


def register_role_permissions() -> None:
    """What each role may do with the ratings of facilities in the admin.

    Editors keep the facilities and their aspects; moderators look at ratings and publish or
    reject their comments (the admin's actions call the service, which checks the role again);
    auditors look at everything. Ratings themselves are written only by residents through the
    service, so nobody may add, change or delete one. A facility's responsible staff need no
    group: the admin shows them their own facilities and their ratings (see admin.py).
    """
    from activecitizen.accounts.roles import Role, grant

    grant(
        Role.EDITOR,
        *(f"pulse.{a}_{m}" for m in ("facility", "aspect") for a in ("view", "add", "change")),
        "pulse.delete_aspect",
        "pulse.view_facilityrating",
    )
    grant(
        Role.MODERATOR,
        "pulse.view_facility",
        "pulse.view_facilityrating",
        "pulse.moderate_facilityrating",
        "pulse.view_commenttomoderate",
    )
    grant(
        Role.AUDITOR,
        "pulse.view_facility",
        "pulse.view_aspect",
        "pulse.view_facilityrating",
    )
