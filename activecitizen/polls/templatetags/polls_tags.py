"""Template helpers for the ballot form: what the person chose before an error sent them back."""

from django import template

register = template.Library()


@register.filter
def getlist(data, question_id) -> list[str]:
    """The options chosen for a question in a submitted ballot form."""
    return data.getlist(f"q{question_id}") if data is not None else []


@register.filter
def getvalue(data, question_id) -> str:
    """The own-answer text typed for a question in a submitted ballot form."""
    return data.get(f"text{question_id}", "") if data is not None else ""
