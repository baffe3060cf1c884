"""Placeholder wording for the ODI sections, written by us. NOT the licensed ODI text (© Jeremy Fairbank 1980,
licensed through Mapi Research Trust): a licensed clinic loads the official wording with `load_odi_wording`."""

from django.utils.translation import gettext_noop

from patients.scoring import ODI_SECTIONS

PLACEHOLDER_OPTIONS = [
    gettext_noop("No difficulty (placeholder wording)"),
    gettext_noop("Very mild difficulty (placeholder wording)"),
    gettext_noop("Moderate difficulty (placeholder wording)"),
    gettext_noop("Fairly severe difficulty (placeholder wording)"),
    gettext_noop("Very severe difficulty (placeholder wording)"),
    gettext_noop("Unable / worst possible (placeholder wording)"),
]


def placeholder_wording() -> list[dict[str, object]]:
    return [
        {"section": number, "title": title, "options": list(PLACEHOLDER_OPTIONS)}
        for number, title in enumerate(ODI_SECTIONS, start=1)
    ]


# The section titles (`scoring.ODI_SECTIONS`, a pure module), marked for the catalogue: the patient's form shows
# the placeholder's titles in the patient's language (`patients.forms.odi_sections`).
SECTION_TITLES = (
    gettext_noop("Pain intensity"),
    gettext_noop("Personal care (washing, dressing etc.)"),
    gettext_noop("Lifting"),
    gettext_noop("Walking"),
    gettext_noop("Sitting"),
    gettext_noop("Standing"),
    gettext_noop("Sleeping"),
    gettext_noop("Sex life (if applicable)"),
    gettext_noop("Social life"),
    gettext_noop("Travelling"),
)
