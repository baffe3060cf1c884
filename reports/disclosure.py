"""The one disclosure rule of every report output: a figure resting on 1 to MIN_GROUP - 1 patients is held back
as "too few", so no patient can be singled out.

Every output asks `too_few`: the report page, the API, the XLSX summary sheet, the charts and the research
export's groups (a program, a belief wording version). The clinic's own per-patient files (the CSVs, the XLSX's
Check-ins and Episodes sheets, the FHIR Bundle) hold each patient's record and no figure over a group, so the
rule has nothing to hold back there: they keep every patient (docs/reports.md, "Small groups").

The count is of the patients behind a figure, never of weeks or check-ins: a share of 40 check-in weeks of two
patients rests on two patients. The report's figures count episodes (one per patient, unless a patient came back
for a second episode), the research export distinct patients. Nobody (0) is "no patients", not "too few".
"""

from __future__ import annotations

MIN_GROUP = 5
TOO_FEW = "too few"


def too_few(*patients: int) -> bool:
    """Whether a figure resting on these counts of patients is held back: any count from 1 to MIN_GROUP - 1 (a
    difference of two groups' means is held back when either group is too few)."""
    return any(0 < n < MIN_GROUP for n in patients)
