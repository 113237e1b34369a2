from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class HouseConfig(AppConfig):
    name = "activecitizen.house"
    label = "house"
    verbose_name = _("Electronic House")

    def ready(self) -> None:
        from activecitizen.core.demo import register_demo_step
        from activecitizen.house import notices, surveys
        from activecitizen.house.demo import seed_house
        from activecitizen.notifications import kinds
        from activecitizen.polls.audience import register_restriction

        register_role_permissions()
        # After the shop (order 30): the demo people exist by then; nothing here depends on
        # the other steps.
        register_demo_step("house", seed_house, order=40)
        kinds.register("meeting_notice", notices.meeting_notice)
        kinds.register("meeting_started", notices.meeting_started)
        kinds.register("meeting_result", notices.meeting_result)
        kinds.register("meeting_cancelled", notices.meeting_cancelled)
        kinds.register("meeting_demanded", notices.meeting_demanded)
        kinds.register("building_announcement", notices.building_announcement)
        kinds.register("building_survey", notices.building_survey)
        # Building surveys are polls whose audience is the building's owners and residents.
        register_restriction(
            "building", people=surveys.building_people, reason=surveys.not_your_building
        )


def _crud(*models: str, actions: tuple[str, ...] = ("view", "add", "change", "delete")) -> list:
    return [f"house.{action}_{model}" for model in models for action in actions]


def register_role_permissions() -> None:
    """What a house administrator may do in the admin; the group gets it after every migrate.

    The admin limits them to the buildings they administer. They keep entrances, premises and
    residents, look at ownerships and decide claims; ownerships are written only by the
    register's services (the import and confirmed claims), which keep the shares within 1.
    Buildings are added, and their administrators named, by superusers.

    Meetings: they call, edit (while a draft), announce, cancel and publish them, and enter
    paper ballots (all through the services, which check that they administer the building);
    the decision rules and the ballots they only look at.
    """
    from activecitizen.accounts.roles import Role, grant

    grant(
        Role.HOUSE_ADMINISTRATOR,
        *_crud("building", actions=("view", "change")),
        *_crud("entrance", "premises", "resident"),
        # change: only the owner code of an ownership is editable in the admin.
        *_crud("ownership", actions=("view", "change", "delete")),
        *_crud("premisesclaim", actions=("view", "change")),
        *_crud("announcement", actions=("view", "add")),
        *_crud("meeting", actions=("view", "add", "change")),
        *_crud("agendaitem"),
        *_crud("decisionrule", "meetingballot", "meetingdemand", actions=("view",)),
    )
