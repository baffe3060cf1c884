"""Placeholder wording for the ODI sections, written by us. NOT the licensed ODI text (© Jeremy Fairbank 1980,
licensed through Mapi Research Trust): a licensed clinic loads the official wording with `load_odi_wording`."""

from patients.scoring import ODI_SECTIONS

PLACEHOLDER_OPTIONS = [
    "No difficulty (placeholder wording)",
    "Very mild difficulty (placeholder wording)",
    "Moderate difficulty (placeholder wording)",
    "Fairly severe difficulty (placeholder wording)",
    "Very severe difficulty (placeholder wording)",
    "Unable / worst possible (placeholder wording)",
]


def placeholder_wording() -> list[dict[str, object]]:
    return [
        {"section": number, "title": title, "options": list(PLACEHOLDER_OPTIONS)}
        for number, title in enumerate(ODI_SECTIONS, start=1)
    ]
