"""The sections of the site, in the order the header shows them.

Each section names the URL its app will serve. Until that app exists the link leads to a page
saying the section is on its way, so the navigation is complete from day one and a new app only
has to add its URLs under the same name.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    slug: str
    title: str | Promise
    summary: str | Promise
    url_name: str

    @property
    def href(self) -> str:
        try:
            return reverse(self.url_name)
        except NoReverseMatch:
            return reverse("core:section", kwargs={"slug": self.slug})

    @property
    def available(self) -> bool:
        try:
            reverse(self.url_name)
        except NoReverseMatch:
            return False
        return True


SECTIONS: tuple[Section, ...] = (
    Section(
        "votes",
        _("Votes"),
        _("Polls on city questions for your district and for all of the city."),
        "polls:list",
    ),
    Section(
        "discussions",
        _("Discussions"),
        _("Public discussions of urban planning projects."),
        "discussions:list",
    ),
    Section(
        "novelties",
        _("City novelties"),
        _("Try the city's innovations and rate them."),
        "novelties:list",
    ),
    Section(
        "pulse",
        _("Pulse of the capital"),
        _("Rate parks, clinics, libraries and other city facilities."),
        "pulse:list",
    ),
    Section(
        "decisions",
        _("Decisions map"),
        _("What the city did after the votes, on a map."),
        "decisions:map",
    ),
    Section(
        "news", _("News"), _("Project news and the stories of people who take part."), "news:list"
    ),
    Section(
        "rewards",
        _("Rewards shop"),
        _("Spend the points you earned on tickets, rides and souvenirs."),
        "rewards:catalogue",
    ),
    Section(
        "house",
        _("Electronic House"),
        _("General meetings of apartment owners, online."),
        "house:home",
    ),
)


def section(slug: str) -> Section | None:
    return next((s for s in SECTIONS if s.slug == slug), None)
