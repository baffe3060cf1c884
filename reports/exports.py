"""Export writers: CSV (check-ins, episodes), XLSX (openpyxl write-only), FHIR R4 Bundle, de-identified research.

Every writer reads the report's scoped querysets (reports.selectors) and streams: check-ins are read with a
server-side cursor in chunks and written row by row, so memory stays flat however many rows there are.

Patients appear under a keyed pseudonym (HMAC-SHA256 of clinic and patient UUID with REPORTS_PSEUDONYM_KEY):
stable for a clinic and key, not reversible without the key. The clinic's own exports add its record number;
the research export uses its own pseudonym (so the clinic's files are no key to it) and has no names,
contacts, record numbers, therapists, free-text notes or calendar dates (only program weeks); its rows are in
the pseudonym's order and its groups hold at least MIN_GROUP patients, so neither the row order nor a small
group links it to the clinic's files. No export
carries names, e-mail addresses, phone numbers or notes. Every CSV and XLSX cell goes through
`cft.spreadsheets` (formula-safe text, RFC 4180 line ends; docs/reports.md).

ODI is written to one decimal. The database rounds the stored 4-place score half away from zero (= half up,
scores are never negative); exact ODI scores never tie at one decimal (docs/clinical-rules.md, ODI scoring), so
this always equals `patients.scoring.one_decimal` of the exact score (a test checks every possible score).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import hmac
import io
import json
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Func, QuerySet, TextField
from django.db.models.functions import Cast, Round

from cft import spreadsheets
from patients import beliefs, scoring
from patients.models import RED_FLAGS, CheckIn
from programs.models import Belief
from reports.disclosure import MIN_GROUP, TOO_FEW, too_few
from reports.selectors import (
    TIMEPOINTS,
    EpisodeRow,
    OutcomeReport,
    ReportFilter,
    report_checkins,
    report_episodes,
)

Progress = Callable[[int], None]
CHUNK = 5000


def _no_progress(rows: int) -> None:
    return None


def pseudonym(clinic_id: int, patient_uuid: Any, key: str | None = None, *, research: bool = False) -> str:
    """The patient's keyed pseudonym. The research export derives its own (another HMAC message), so the
    clinic's files, which carry the record number next to the clinic pseudonym, are no key to the research
    file: only the holder of REPORTS_PSEUDONYM_KEY can link the two."""
    key = key or settings.REPORTS_PSEUDONYM_KEY
    purpose = "cft-research" if research else "cft-patient"
    message = f"{purpose}:{clinic_id}:{patient_uuid}".encode()
    prefix = "R-" if research else "P-"
    return prefix + hmac.new(key.encode(), message, hashlib.sha256).hexdigest()[:20]


def one_decimal_text(field: str) -> Cast:
    """The score as text with one decimal, one portable expression: ROUND(score, 1) cast to text. PostgreSQL
    rounds numeric half away from zero (= half up for scores >= 0); SQLite's ROUND agrees because exact scores
    never tie at one decimal. No `%` in the SQL: DEBUG's query logging formats `sql % params`."""
    return Cast(Round(field, 1), output_field=TextField())


class IsoUtc(Func):
    """A timestamp as ISO 8601 text in UTC (2026-01-05T09:00:00Z), formatted by the database: the export then
    never builds a datetime object per row."""

    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"""to_char({sql} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')""", tuple(params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])  # Django stores UTC text in SQLite
        return f"strftime('%%Y-%%m-%%dT%%H:%%M:%%SZ', {sql})", tuple(params)


class RedFlagList(Func):
    """The red-flag keys answered yes, joined by ';' in question order as stored ('' when none)."""

    output_field = TextField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])
        # `sql` is a compiled column reference, never user input.
        # Most check-ins have no red flag: skip the set-returning function for them.
        template = "CASE WHEN %s = '[]'::jsonb THEN NULL ELSE (SELECT string_agg(flag, ';' ORDER BY n) "
        template += "FROM jsonb_array_elements_text(%s) WITH ORDINALITY AS rf(flag, n)) END"
        return template % (sql, sql), (*params, *params)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, tuple[Any, ...]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(SELECT group_concat(value, ';') FROM json_each({sql}))", tuple(params)  # noqa: S608 - compiled column


# --- Check-ins ---------------------------------------------------------------------------------------------

CHECKIN_COLUMNS = (
    "patient",
    "record_number",
    "program",
    "week",
    "submitted_at_utc",
    "odi_score",
    "odi_answered",
    "pain_nrs",
    "red_flags",
    "entered_by",
)
RESEARCH_CHECKIN_COLUMNS = ("patient", "program", "week", "odi_score", "odi_answered", "pain_nrs", "red_flags")


def episode_labels(user: Any, filters: ReportFilter, research: bool = False) -> dict[int, tuple[Any, ...]]:
    """episode id -> the columns that come from the patient and program, computed once per episode."""
    rows = (
        report_episodes(user, filters)
        .order_by()
        .values_list("pk", "patient__uuid", "patient__record_number", "report_program_title")
    )
    clinic_id = filters.clinic.pk
    if research:
        return {pk: (pseudonym(clinic_id, uid, research=True), title or "") for pk, uid, _, title in rows}
    return {pk: (pseudonym(clinic_id, uid), number, title or "") for pk, uid, number, title in rows}


def checkin_queryset(user: Any, filters: ReportFilter, research: bool = False) -> QuerySet[CheckIn, tuple[Any, ...]]:
    """The one query of the check-in export (the benchmark hands this same SQL to COPY)."""
    qs = report_checkins(user, filters).order_by("episode_id", "week")
    if research:
        return qs.values_list(
            "episode_id", "week", one_decimal_text("odi_score"), "odi_answered", "pain_nrs", RedFlagList("red_flags")
        )
    return qs.values_list(
        "episode_id",
        "week",
        IsoUtc("submitted_at"),
        one_decimal_text("odi_score"),
        "odi_answered",
        "pain_nrs",
        RedFlagList("red_flags"),
        "entered_by",
    )


def checkin_rows(user: Any, filters: ReportFilter, *, progress: Progress = _no_progress) -> Iterator[tuple[Any, ...]]:
    """The clinic's check-in rows (the research file's are `research_checkin_rows`, in another order)."""
    labels = episode_labels(user, filters)
    done = 0
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # A server-side cursor is planned for its first 10 % of rows by default; an export reads them all.
            with connection.cursor() as cursor:
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        for row in checkin_queryset(user, filters).iterator(chunk_size=CHUNK):
            label = labels.get(row[0])
            if label is None:  # an episode outside the report (cannot happen: same scope); never leak it
                continue
            yield label + row[1:]
            done += 1
            if done % CHUNK == 0:
                progress(done)
    progress(done)


# --- Episodes ----------------------------------------------------------------------------------------------

CHANGE_COLUMNS = tuple(
    f"{measure}_{name}"
    for measure in ("odi", "nrs")
    # improvement = baseline - latest: positive is better, in every file (docs/reports.md)
    for name in ("baseline", "latest", "improvement", "responder_points", "responder_percent", "responder")
)
# Belief answers at intake and at the latest belief check-in of the same wording, and latest minus intake
# (reports.beliefs; docs/reports.md, "Belief figures").
BELIEF_COLUMNS = tuple(f"belief_{item}_{name}" for item in beliefs.ITEMS for name in ("intake", "latest", "change"))
EPISODE_COLUMNS = (
    "patient",
    "record_number",
    "program",
    "therapist",
    "week_one",
    "baseline_week",
    "latest_week",
    *CHANGE_COLUMNS,
    "checkins_done",
    "checkins_due",
    "activity_weeks",
    "activity_quota_met",
    "beliefs_version",
    "belief_intake_week",
    "belief_latest_week",
    *BELIEF_COLUMNS,
)
RESEARCH_EPISODE_COLUMNS = tuple(c for c in EPISODE_COLUMNS if c not in {"record_number", "therapist", "week_one"})


# --- Column headers ----------------------------------------------------------------------------------------
# The clinic's CSVs and XLSX sheets are read by people: their headers are words. The research files keep the
# codebook names above (RESEARCH_README documents them), which analysis software reads as variable names.


def _measure_headers(measure: str, label: str, points: int) -> dict[str, str]:
    return {
        f"{measure}_baseline": f"Baseline {label}",
        f"{measure}_latest": f"Latest {label}",
        f"{measure}_improvement": f"{label} improvement (baseline - latest)",
        f"{measure}_responder_points": f"{label} responder ({points} points)",
        f"{measure}_responder_percent": f"{label} responder (30 %)",
        f"{measure}_responder": f"{label} responder (either)",
    }


HEADERS: dict[str, str] = {
    "patient": "Patient",
    "record_number": "Record number",
    "program": "Program",
    "week": "Program week",
    "submitted_at_utc": "Submitted (UTC)",
    "odi_score": "ODI score",
    "odi_answered": "ODI sections answered",
    "pain_nrs": "Pain NRS",
    "red_flags": "Red flags",
    "entered_by": "Entered by",
    "therapist": "Therapist",
    "week_one": "Week one",
    "baseline_week": "Baseline week",
    "latest_week": "Latest week",
    **_measure_headers("odi", "ODI", 10),
    **_measure_headers("nrs", "NRS", 2),
    "checkins_done": "Check-ins done",
    "checkins_due": "Check-ins due",
    "activity_weeks": "Activity weeks",
    "activity_quota_met": "Activity weeks with quota met",
    "beliefs_version": "Belief wording version",
    "belief_intake_week": "Belief intake week",
    "belief_latest_week": "Belief latest week",
    **{
        f"belief_{item}_{name}": f"{Belief(item).label} {words}"
        for item in beliefs.ITEMS
        for name, words in (("intake", "at intake"), ("latest", "latest"), ("change", "change (latest - intake)"))
    },
}


def headers(columns: Iterable[str]) -> list[str]:
    """The clinic files' header row for these codebook columns."""
    return [HEADERS[column] for column in columns]


CHECKIN_HEADERS, EPISODE_HEADERS = headers(CHECKIN_COLUMNS), headers(EPISODE_COLUMNS)


def _value(measure: str, value: Any) -> Any:
    if value is None:
        return None
    return scoring.one_decimal(value) if measure == "odi" else value


def _flag(flag: bool | None) -> str:
    return "" if flag is None else ("yes" if flag else "no")


def episode_export_rows(rows: Iterable[EpisodeRow], clinic_id: int, research: bool = False) -> Iterator[tuple]:
    for r in rows:
        changes: list[Any] = []
        for measure in ("odi", "nrs"):
            latest = r.values.get("latest", {}).get(measure)
            change = r.changes.get("latest", {}).get(measure)
            improvement = None if change is None or change.improvement is None else change.improvement
            changes += [
                _value(measure, r.baseline[measure]),
                _value(measure, latest),
                _value(measure, improvement),
                _flag(change.responder_points if change else None),
                _flag(change.responder_percent if change else None),
                _flag(change.responder if change else None),
            ]
        tail = (r.baseline_week, r.latest_week, *changes, r.done, r.due, r.activity_weeks, r.quota_met)
        tail += _belief_cells(r)
        patient = pseudonym(clinic_id, r.patient_uuid, research=research)
        if research:
            yield (patient, r.program, *tail)
        else:
            yield (patient, r.record_number, r.program, r.therapist, r.week_one, *tail)


def _belief_cells(r: EpisodeRow) -> tuple[Any, ...]:
    b = r.beliefs
    if b is None:
        return ("", None, None, *(None for _ in BELIEF_COLUMNS))
    latest = b.latest or {}
    answers = [(b.intake.get(item), latest.get(item), b.change(item)) for item in beliefs.ITEMS]
    return (b.version, b.intake_week, b.latest_week, *(cell for triple in answers for cell in triple))


# --- CSV ---------------------------------------------------------------------------------------------------
# One writer for every CSV (cft.spreadsheets): formula-safe text cells, RFC 4180 line endings, and the UTF-8
# byte-order mark for the files meant for spreadsheets (the clinic's); research files go without it.

# --- Summary (XLSX sheet, exports' summary) ----------------------------------------------------------------


def summary_rows(report: OutcomeReport) -> Iterator[tuple[Any, ...]]:
    """The report as rows for a sheet, with small groups shown as "too few" (the file leaves the clinic)."""
    from reports.serializers import report_data

    data = report_data(report, public=True)
    period = f"{data['start']} to {data['end']}" if data["start"] else f"every episode started up to {data['end']}"
    yield ("Clinic outcome report", period)
    yield ("Groups under", data["min_group"], "patients are shown as", TOO_FEW)
    yield ()
    yield ("group", "label", "started", "measure", "timepoint", "n", "baseline mean", "baseline SD",
           "follow-up mean", "follow-up SD", "mean improvement", "CI low", "CI high",
           "responders (points) %", "responders (percent) %", "responders %")  # fmt: skip
    groups = [("overall", data["overall"])]
    groups += [("program", g) for g in data["by_program"]] + [("therapist", g) for g in data["by_therapist"]]
    for kind, g in groups:
        if g["no_data"]:
            yield (kind, g["label"], 0, "no patients")
            continue
        if g["too_few"]:
            yield (kind, g["label"], TOO_FEW)
            continue
        for timepoint in TIMEPOINTS:
            for measure in ("odi", "nrs"):
                m = g["outcomes"][timepoint][measure]
                change = m["change"]
                if isinstance(change, str) or not change["n"]:
                    yield (kind, g["label"], g["started"], measure, timepoint, change if isinstance(change, str) else 0)
                    continue

                def pct(share: Any) -> Any:
                    return share if isinstance(share, str) else share["percent"]

                yield (kind, g["label"], g["started"], measure, timepoint, change["n"],
                       m["baseline"]["mean"], m["baseline"]["sd"], m["follow_up"]["mean"], m["follow_up"]["sd"],
                       change["mean"], change["ci_low"], change["ci_high"],
                       pct(m["responders_points"]), pct(m["responders_percent"]), pct(m["responders"]))  # fmt: skip
    if data["comparison"]:
        c = data["comparison"]
        yield ()
        yield ("comparison", f"{c['a']['label']} minus {c['b']['label']}", "timepoint", c["timepoint"])
        for measure, means in c["mean_improvement"].items():
            for side in ("a", "b"):
                m = means[side]
                figures = [m] if isinstance(m, str) else [m["mean"], "95% CI", m["ci_low"], m["ci_high"], "n", m["n"]]
                yield ("mean improvement", measure, c[side]["label"], *figures)
        for measure, d in c["difference_in_improvement"].items():
            if isinstance(d, str):
                yield ("difference in improvement", measure, d)
            else:
                yield ("difference in improvement", measure, d["difference"], "95% CI", d["ci_low"], d["ci_high"],
                       "Welch df", d["df"])  # fmt: skip
    if data.get("beliefs"):
        yield from belief_summary_rows(data["beliefs"])


def belief_summary_rows(data: dict[str, Any]) -> Iterator[tuple[Any, ...]]:
    """The report's belief figures (reports.beliefs, public form) as Summary-sheet rows."""
    yield ()
    yield ("belief figures", f"change: {data['change']}", f"ODI change: {data['odi_change']}")
    yield ("group", "label", "belief", "n", "mean change", "CI low", "CI high",
           "n (with ODI change)", "r with ODI change", "r CI low", "r CI high")  # fmt: skip
    groups = [("overall", data["overall"])] + [("program", g) for g in data["by_program"]]
    for kind, g in groups:
        for item, figures in g["items"].items():
            change, r = figures["change"], figures["with_odi_change"]
            left = (
                [change]
                if isinstance(change, str)
                else [change["n"], change["mean"], change["ci_low"], change["ci_high"]]
            )
            right = [r] if isinstance(r, str) else [r["n"], r["r"], r["ci_low"], r["ci_high"]]
            if isinstance(change, str):
                left += [None, None, None]
            yield (kind, g["label"], item, *left, *right)


def write_xlsx(
    fh: IO[bytes], report: OutcomeReport, user: Any, filters: ReportFilter, rows: list[EpisodeRow], progress: Progress
) -> int:
    """openpyxl write-only workbook: Summary, Check-ins, Episodes. Rows stream into the sheets; the data sheets
    have their header row frozen and columns wide enough for their headers (both set before the first row, as
    write-only mode requires)."""
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    summary = book.create_sheet("Summary")
    _layout(summary, [24, 28, 12, 10, 10, 10, 14, 14, 14, 14, 16, 10, 10, 20, 20, 14])
    for line in summary_rows(report):
        summary.append(spreadsheets.xlsx_row(line))
    checkins = book.create_sheet("Check-ins")
    _layout(checkins, [_width(column) for column in CHECKIN_COLUMNS], freeze=True)
    checkins.append(CHECKIN_HEADERS)
    count = 0
    for row in checkin_rows(user, filters, progress=progress):
        # Excel has no time zones: write UTC wall time, as the column `submitted_at_utc` says (the CSV writes
        # the same instant with a Z); numbers stay numbers.
        cells = list(row)
        cells[4] = dt.datetime.fromisoformat(cells[4]).replace(tzinfo=None) if cells[4] else None
        cells[5] = Decimal(cells[5]) if cells[5] is not None else None
        checkins.append(spreadsheets.xlsx_row(cells))
        count += 1
    episodes = book.create_sheet("Episodes")
    _layout(episodes, [_width(column) for column in EPISODE_COLUMNS], freeze=True)
    episodes.append(EPISODE_HEADERS)
    for row in episode_export_rows(rows, filters.clinic.pk):
        episodes.append(spreadsheets.xlsx_row(row))
    book.save(fh)
    return count


# Widths in characters for the columns whose values are wider than their header.
VALUE_WIDTHS = {"patient": 24, "program": 32, "therapist": 20, "submitted_at_utc": 20, "red_flags": 24}


def _width(column: str) -> int:
    return max(len(HEADERS[column]) + 2, VALUE_WIDTHS.get(column, 10))


def _layout(sheet: Any, widths: list[int], *, freeze: bool = False) -> None:
    from openpyxl.utils import get_column_letter

    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    if freeze:
        sheet.freeze_panes = "A2"  # the header row stays in view


# --- FHIR R4 -----------------------------------------------------------------------------------------------

LOINC = "http://loinc.org"
UCUM = "http://unitsofmeasure.org"
OBSERVATION_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"
# The project's own canonical base (a placeholder under the reserved .example domain until the project has one).
CANONICAL_BASE = "https://cft-tracker.example/fhir"
QUESTIONNAIRE = f"{CANONICAL_BASE}/Questionnaire/cft-weekly-checkin|1"
# Our own belief items (patients.beliefs): a questionnaire of ours, its version the wording's, and no LOINC code
# (none exists for them, and we invent none).
BELIEFS_QUESTIONNAIRE = f"{CANONICAL_BASE}/Questionnaire/cft-beliefs"
ODI_PANEL = {"system": LOINC, "code": "97908-8", "display": "Oswestry Disability Index"}
ODI_SCORE = {"system": LOINC, "code": "97909-6", "display": "Oswestry disability index score ODI"}
PAIN_NRS = {
    "system": LOINC,
    "code": "72514-3",
    "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
}


PSEUDONYM_SYSTEM = f"{CANONICAL_BASE}/sid/patient-pseudonym"


def _urn(kind: str, pk: int, version: int) -> str:
    return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{CANONICAL_BASE}/{kind}/{pk}/{version}')}"


def fhir_patient(patient: str) -> dict[str, Any]:
    """The minimal Patient the Bundle's references resolve to: the pseudonym as its only identifier (no name,
    no birth date, no contact), under a stable urn:uuid derived from the pseudonym."""
    url = f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, f'{CANONICAL_BASE}/Patient/{patient}')}"
    resource = {"resourceType": "Patient", "identifier": [{"system": PSEUDONYM_SYSTEM, "value": patient}]}
    return {"fullUrl": url, "resource": resource}


def belief_item(checkin: dict[str, Any]) -> dict[str, Any]:
    """The belief section as one group item: its `definition` names our questionnaire and wording version, each
    answered item is `belief-<item>` with a valueInteger (0-10). No `code`: our items have no LOINC code."""
    version = checkin["beliefs_version"]
    answers = [
        {"linkId": f"belief-{item}", "answer": [{"valueInteger": checkin[f"belief_{item}"]}]}
        for item in beliefs.ITEMS
        if checkin.get(f"belief_{item}") is not None
    ]
    group: dict[str, Any] = {
        "linkId": "beliefs",
        "definition": f"{BELIEFS_QUESTIONNAIRE}|{version}",
        "text": "Beliefs about back pain (CFT Tracker's own items)",
    }
    if answers:
        group["item"] = answers
    return group


def fhir_entries(checkin: dict[str, Any], patient_ref: str) -> list[dict[str, Any]]:
    """QuestionnaireResponse for one check-in, plus Observations for the ODI score (when scored) and pain NRS."""
    authored = checkin["submitted_at"].isoformat()
    qr_url = _urn("QuestionnaireResponse", checkin["pk"], checkin["version"])
    odi_items = [
        {"linkId": f"odi-{i}", "answer": [{"valueInteger": answer}]}
        for i, answer in enumerate(checkin["odi_answers"], start=1)
        if answer is not None
    ]
    items: list[dict[str, Any]] = []
    if odi_items:
        items.append({"linkId": "odi", "text": "Oswestry Disability Index", "item": odi_items})
    items.append({"linkId": "nrs", "answer": [{"valueInteger": checkin["pain_nrs"]}]})
    items += [{"linkId": key, "answer": [{"valueBoolean": key in checkin["red_flags"]}]} for key in RED_FLAGS]
    if checkin.get("beliefs_version"):
        items.append(belief_item(checkin))
    response = {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": QUESTIONNAIRE,
        "status": "completed",
        "subject": {"reference": patient_ref},
        "authored": authored,
        "item": items,
    }
    entries = [{"fullUrl": qr_url, "resource": response}]
    base = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBSERVATION_CATEGORY, "code": "survey", "display": "Survey"}]}],
        "subject": {"reference": patient_ref},
        "effectiveDateTime": authored,
        "derivedFrom": [{"reference": qr_url}],
    }
    shown = scoring.one_decimal(scoring.odi_score_from(checkin["odi_points"], checkin["odi_answered"]))
    if shown is not None:
        odi = {**base, "code": {"coding": [ODI_SCORE], "text": "ODI score"}}
        odi["valueQuantity"] = {"value": float(shown), "unit": "{score}", "system": UCUM, "code": "{score}"}
        entries.append({"fullUrl": _urn("Observation/odi", checkin["pk"], checkin["version"]), "resource": odi})
    nrs = {**base, "code": {"coding": [PAIN_NRS], "text": "Pain NRS"}, "valueInteger": checkin["pain_nrs"]}
    entries.append({"fullUrl": _urn("Observation/nrs", checkin["pk"], checkin["version"]), "resource": nrs})
    return entries


def write_fhir_bundle(fh: IO[str], user: Any, filters: ReportFilter, progress: Progress = _no_progress) -> int:
    """A `collection` Bundle, written entry by entry so memory stays flat. Every entry has a urn:uuid fullUrl
    and every reference (subject, derivedFrom) points at an entry of the Bundle."""
    labels = episode_labels(user, filters)
    fields = ("pk", "version", "episode_id", "submitted_at", "odi_answers", "odi_points", "odi_answered")
    checkins = (
        report_checkins(user, filters)
        .order_by("episode_id", "week")
        .values(*fields, "pain_nrs", "red_flags", "beliefs_version", *(f"belief_{item}" for item in beliefs.ITEMS))
        .iterator(chunk_size=CHUNK)
    )
    fh.write('{"resourceType":"Bundle","type":"collection","entry":[')
    count = 0
    patients: dict[str, str] = {}  # pseudonym -> the fullUrl of its Patient entry, written before first use
    for checkin in checkins:
        label = labels.get(checkin["episode_id"])
        if label is None:
            continue
        entries = []
        if label[0] not in patients:
            patient = fhir_patient(label[0])
            patients[label[0]] = patient["fullUrl"]
            entries.append(patient)
        entries += fhir_entries(checkin, patients[label[0]])
        for entry in entries:
            fh.write(("," if count else "") + json.dumps(entry, separators=(",", ":")))
            count += 1
        if count % CHUNK == 0:
            progress(count)
    fh.write("]}")
    return count


# --- Research ----------------------------------------------------------------------------------------------
# The research files must not be linkable to the clinic's identified files by anything but the values
# themselves (docs/reports.md, "Research export"): rows in the order of the keyed research pseudonym, not of
# dates or database ids; no calendar dates; no group of fewer than MIN_GROUP patients.

OTHER_PROGRAMS = "other programs"

RESEARCH_README = f"""De-identified CFT Tracker outcome export.

patient: a keyed pseudonym (HMAC-SHA256), stable for this clinic and key, not reversible without the key, and
not the pseudonym of the clinic's own exports (which sit next to record numbers). Rows are in the order of the
pseudonym (then week): an order that says nothing of dates or of the clinic's files.
No names, contacts, record numbers, therapists, free-text notes or calendar dates; time is the program week
(week 0 = intake before the program). Small groups: a program with fewer than {MIN_GROUP} patients is shown as
"{OTHER_PROGRAMS}", and left out when those together are fewer than {MIN_GROUP}; the belief answers of a wording
version fewer than {MIN_GROUP} patients answered are left blank.
ODI 0-100 to one decimal (null when 3+ sections were skipped); pain NRS 0-10. Improvement = baseline - latest
(positive is better). Responders: improvement >= 10 ODI / 2 NRS points, or >= 30 % of baseline; responder =
either.
Beliefs (our own items, 0-10, in the wording version beliefs_version): belief_<item>_intake is the week-0 belief
check-in (else the first), _latest the last later one in the same wording, _change latest - intake.
"""


def _codebook(name: str, columns: Iterable[str]) -> str:
    return f"\nColumns of {name}:\n" + "".join(f"  {column}: {HEADERS[column]}\n" for column in columns)


# The codebook: each column's name in the research files and what it holds (the clinic files' header for it).
RESEARCH_README += _codebook("checkins.csv", RESEARCH_CHECKIN_COLUMNS) + _codebook(
    "episodes.csv", RESEARCH_EPISODE_COLUMNS
)


def write_research_zip(
    fh: IO[bytes], user: Any, filters: ReportFilter, rows: list[EpisodeRow], progress: Progress
) -> int:
    # No byte-order mark: these files are for analysis software (R's read.csv, Python's csv module), which
    # would read it into the first column's name; researchers open them with an explicit UTF-8 encoding.
    labels = research_labels(user, filters)
    with zipfile.ZipFile(fh, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", RESEARCH_README)
        with archive.open("checkins.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            checkins = research_checkin_rows(user, filters, labels, progress=progress)
            count = spreadsheets.write_csv(text, RESEARCH_CHECKIN_COLUMNS, checkins, bom=False)
        with archive.open("episodes.csv", "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
            episodes = episode_export_rows(research_episodes(rows, labels), filters.clinic.pk, research=True)
            spreadsheets.write_csv(text, RESEARCH_EPISODE_COLUMNS, episodes, bom=False)
    return count


def small_groups(members: Iterable[tuple[Any, str]]) -> set[Any]:
    """The groups of (group, patient) pairs too few distinct patients to show (`reports.disclosure.too_few`)."""
    patients: dict[Any, set[str]] = {}
    for group, patient in members:
        patients.setdefault(group, set()).add(patient)
    return {group for group, found in patients.items() if too_few(len(found))}


def research_labels(user: Any, filters: ReportFilter) -> dict[int, tuple[str, str | None]]:
    """episode id -> (research pseudonym, program title), in the order of the pseudonym. A program with fewer
    than MIN_GROUP patients is labelled OTHER_PROGRAMS; when those together are still fewer than MIN_GROUP
    patients, their episodes are left out (absent here)."""
    episodes = episode_labels(user, filters, research=True)
    small = small_groups((title, patient) for patient, title in episodes.values())
    merged = {pk for pk, (_, title) in episodes.items() if title in small}
    keep_merged = not small_groups((OTHER_PROGRAMS, episodes[pk][0]) for pk in merged)
    labels = {
        pk: (patient, OTHER_PROGRAMS if pk in merged else title)
        for pk, (patient, title) in episodes.items()
        if keep_merged or pk not in merged
    }
    return dict(sorted(labels.items(), key=lambda item: (item[1][0], item[0])))


RESEARCH_BATCH = 1000  # episodes per query: about 15,000 check-ins, well under SQLite's 32,766 parameters


def research_checkin_rows(
    user: Any,
    filters: ReportFilter,
    labels: dict[int, tuple[str, str | None]],
    *,
    progress: Progress = _no_progress,
) -> Iterator[tuple[Any, ...]]:
    """The research check-ins in the order of `labels` (the pseudonym's), then by week: a batch of episodes a
    query, so memory stays flat and the database's order (by id, by date) never reaches the file."""
    order = list(labels)
    rank = {pk: i for i, pk in enumerate(order)}
    done = 0
    for start in range(0, len(order), RESEARCH_BATCH):
        batch = order[start : start + RESEARCH_BATCH]
        rows = list(checkin_queryset(user, filters, research=True).filter(episode_id__in=batch))
        rows.sort(key=lambda row: (rank[row[0]], row[1]))
        for episode_id, *cells in rows:
            patient, title = labels[episode_id]
            yield (patient, title or "", *cells)
        done += len(rows)
        progress(done)
    if not order:
        progress(0)


def research_episodes(rows: list[EpisodeRow], labels: dict[int, tuple[str, str | None]]) -> list[EpisodeRow]:
    """The report's episode rows as the research file holds them: in the order of `labels` (absent ones left
    out), small programs under their merged label, and the belief answers of a wording version that fewer than
    MIN_GROUP of these patients answered left blank (a version is a group too: in use over a known time)."""
    rank = {pk: i for i, pk in enumerate(labels)}
    kept = sorted((r for r in rows if r.episode_id in rank), key=lambda r: rank[r.episode_id])
    small = small_groups((r.beliefs.version, labels[r.episode_id][0]) for r in kept if r.beliefs is not None)
    result = []
    for r in kept:
        program = OTHER_PROGRAMS if labels[r.episode_id][1] == OTHER_PROGRAMS else r.program
        beliefs = None if r.beliefs is not None and r.beliefs.version in small else r.beliefs
        result.append(dataclasses.replace(r, program=program, beliefs=beliefs))
    return result
