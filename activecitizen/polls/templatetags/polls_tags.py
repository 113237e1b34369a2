"""Template helpers for the ballot form: what the person chose before an error sent them back;
and the panels other sections add to the results page."""

from django import template

from activecitizen.polls.panels import results_panels

register = template.Library()


@register.filter
def getlist(data, question_id) -> list[str]:
    """The options chosen for a question in a submitted ballot form."""
    return data.getlist(f"q{question_id}") if data is not None else []


@register.filter
def getvalue(data, question_id) -> str:
    """The own-answer text typed for a question in a submitted ballot form."""
    return data.get(f"text{question_id}", "") if data is not None else ""


@register.simple_tag(takes_context=True)
def poll_results_panels(context, poll):
    """The registered panels' HTML for this poll (see polls/panels.py)."""
    return results_panels(poll, context["request"])
