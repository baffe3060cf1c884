"""Staff pages name the ODI bands in plain clinical words ("very severe disability"); Fairbank's original band
names are kept in docs/clinical-rules.md only."""

from __future__ import annotations

import csv
import io

from django.urls import reverse

from patients import scoring
from tests.admin.conftest import CHANGELIST
from tests.factories import checkin

ORIGINAL_NAMES = ("crippled", "bed-bound", "bed bound")


def test_the_caseload_the_patient_page_and_the_export_say_very_severe_disability(tess_client, world):
    checkin(world.alice, 1, 5, 8)  # ODI 100
    checkin(world.alice, 2, 4, 7)  # ODI 80
    caseload = tess_client.get(CHANGELIST).content.decode()
    assert '80.0 <span class="odi-band odi-very_severe">very severe disability</span>' in caseload
    page = tess_client.get(reverse("admin:patients_patient_change", args=[world.alice.pk])).content.decode()
    assert "extreme disability" in page and "very severe disability" in page
    export = tess_client.post(
        CHANGELIST + "?caseload=clinic",
        {"action": "export_csv_action", "_selected_action": [world.alice.pk]},
    ).content.decode()
    assert next(csv.DictReader(io.StringIO(export)))["odi_band"] == "very severe disability"
    for text in (caseload, page, export):
        assert not any(name in text.lower() for name in ORIGINAL_NAMES)


def test_no_band_code_or_word_uses_the_original_names():
    words = [*scoring.ODI_BAND_WORDS, *scoring.ODI_BAND_WORDS.values(), *(band for _, band in scoring.ODI_BANDS)]
    assert not any(name in word for word in words for name in ORIGINAL_NAMES)
    assert scoring.odi_band_words(scoring.odi_band(61)) == "very severe disability"
