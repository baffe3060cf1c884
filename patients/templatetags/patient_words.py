from django import template

from patients.progress import unit_word as _unit_word

register = template.Library()


@register.filter
def unit_word(unit: str) -> str:
    """An activity's unit in the active language: `{{ item.unit|unit_word }}`."""
    return _unit_word(unit)
