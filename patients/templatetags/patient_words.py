from django import template

from patients.progress import unit_word as _unit_word
from patients.scoring import odi_band_words

register = template.Library()


@register.filter
def unit_word(unit: str) -> str:
    """An activity's unit in the active language: `{{ item.unit|unit_word }}`."""
    return _unit_word(unit)


@register.filter
def band_words(band: str | None) -> str:
    """An ODI band in the words staff pages use: `{{ checkin.odi_band|band_words }}` ("severe disability")."""
    return odi_band_words(band)
