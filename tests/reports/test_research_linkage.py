"""An attacker holds the clinic's identified episode export (record numbers, clinic pseudonyms, week one) and the
research ZIP of the same clinic, and tries to link their rows without the key: by row position, by date order
and by the size of a group. Each attempt must do no better than chance (docs/reports.md, "Research export")."""

import csv
import io
import uuid
import zipfile

import pytest

from patients.models import Patient
from programs.models import Program
from reports import exports, services
from reports.beliefs import EpisodeBeliefs
from reports.disclosure import MIN_GROUP
from reports.selectors import ReportFilter, episode_rows
from tests.factories import ClinicFactory, make_clinic_admin
from tests.reports.data import bulk_episodes, odi_answers_for

KEYS = [f"linkage-test-key-{i}" for i in range(10)]


@pytest.fixture(autouse=True)
def _export_dir(settings, tmp_path):
    settings.REPORTS_EXPORT_DIR = tmp_path / "exports"


def clinic_with_programs(sizes: dict[str, int]):
    """One patient per program place, each starting in a week of their own (so date order is a strict order),
    with fixed UUIDs so that every run of the test sees the same pseudonyms."""
    clinic = ClinicFactory(name="Linkage clinic", slug="linkage-clinic")
    admin = make_clinic_admin(clinic)
    weeks_ago = 13
    for title, size in sizes.items():
        program = Program.objects.create(clinic=clinic, title=title, weeks=12)
        for _ in range(size):
            odi = odi_answers_for(2 * (weeks_ago % 40))
            bulk_episodes(clinic=clinic, program=program, series=[[(0, odi, 7), (4, odi, 5)]], weeks_ago=weeks_ago)
            weeks_ago += 1
    for n, patient in enumerate(Patient.objects.filter(clinic=clinic).order_by("pk"), start=1):
        Patient.objects.filter(pk=patient.pk).update(uuid=uuid.UUID(int=n * 7919))
    return clinic, admin


CODEBOOK = {words: name for name, words in exports.HEADERS.items()}


def read_csv(raw: bytes) -> list[dict[str, str]]:
    """Rows by the codebook's column names: the research files' headers, the clinic files' headers in words."""
    reader = csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""))
    header = [CODEBOOK.get(name, name) for name in next(reader)]
    return [dict(zip(header, row, strict=True)) for row in reader]


def export(clinic, admin, kind: str, tmp_path) -> bytes:
    path = tmp_path / f"export.{kind}"
    filters = ReportFilter(clinic=clinic)
    services.write_export(kind, user=admin, filters=filters, path=path, progress=lambda n: None)
    return path.read_bytes()


def files(clinic, admin, tmp_path):
    """The clinic's episode rows, the research ZIP's episode and check-in rows, and the key holder's truth:
    each clinic pseudonym's research pseudonym."""
    identified = read_csv(export(clinic, admin, "csv_episodes", tmp_path))
    archive = zipfile.ZipFile(io.BytesIO(export(clinic, admin, "research", tmp_path)))
    research = read_csv(archive.read("episodes.csv"))
    research_checkins = read_csv(archive.read("checkins.csv"))
    truth = {
        exports.pseudonym(clinic.pk, p.uuid): exports.pseudonym(clinic.pk, p.uuid, research=True)
        for p in Patient.objects.filter(clinic=clinic)
    }
    return identified, research, research_checkins, truth


def matches(identified: list[str], research: list[str], truth: dict[str, str]) -> int:
    """Rows the attacker pairs correctly by taking the n-th row of one file for the n-th of the other."""
    return sum(truth[p] == r for p, r in zip(identified, research, strict=False))


def group_sizes(rows: list[dict[str, str]]) -> dict[str, int]:
    """Patients per program, as the attacker counts them in either file."""
    found: dict[str, set[str]] = {}
    for r in rows:
        found.setdefault(r["program"], set()).add(r["patient"])
    return {program: len(patients) for program, patients in found.items()}


def in_order(patients: list[str]) -> list[str]:
    return list(dict.fromkeys(patients))


def ranks(values: list) -> list[int]:
    order = sorted(range(len(values)), key=values.__getitem__)
    result = [0] * len(values)
    for rank, index in enumerate(order):
        result[index] = rank
    return result


def correlation(xs: list[int], ys: list[int]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    cov = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sx = sum((x - mx) ** 2 for x in xs) ** 0.5
    sy = sum((y - my) ** 2 for y in ys) ** 0.5
    return cov / (sx * sy)


@pytest.mark.django_db
def test_the_research_export_cannot_be_relinked_by_position_or_by_date_order(settings, tmp_path):
    clinic, admin = clinic_with_programs({"Alpha": 12, "Beta": 9})
    by_position = by_date = by_checkin_position = rows = 0
    correlations = []
    for key in KEYS:
        settings.REPORTS_PSEUDONYM_KEY = key
        identified, research, research_checkins, truth = files(clinic, admin, tmp_path)
        clinic_order = [r["patient"] for r in identified]
        research_order = [r["patient"] for r in research]
        assert len(research_order) == len(clinic_order) == 21
        by_position += matches(clinic_order, research_order, truth)
        dated = [r["patient"] for r in sorted(identified, key=lambda r: r["week_one"])]
        by_date += max(matches(dated, research_order, truth), matches(dated[::-1], research_order, truth))
        by_checkin_position += matches(clinic_order, in_order([r["patient"] for r in research_checkins]), truth)
        # The research file's order against the true start dates: a rank correlation near 0.
        start = {truth[r["patient"]]: r["week_one"] for r in identified}
        correlations.append(correlation(list(range(len(research_order))), ranks([start[p] for p in research_order])))
        rows += len(research_order)
    # A random order pairs one row in 21 correctly (about 10 in these 210 rows); the old order paired all 210.
    chance = len(KEYS)
    assert by_position <= 2.5 * chance, by_position
    assert by_checkin_position <= 2.5 * chance, by_checkin_position
    assert by_date <= 2 * 2.5 * chance, by_date  # the better of two orders (oldest first or newest first)
    assert abs(sum(correlations) / len(correlations)) < 0.25, correlations
    assert rows == 21 * len(KEYS)


@pytest.mark.django_db
def test_no_group_under_the_small_group_size_appears_and_small_programs_are_merged(tmp_path):
    clinic, admin = clinic_with_programs({"Alpha": 10, "Beta": 6, "Gamma": 3, "Delta": 2})
    identified, research, research_checkins, truth = files(clinic, admin, tmp_path)
    clinic_sizes = group_sizes(identified)
    assert clinic_sizes == {"Alpha": 10, "Beta": 6, "Gamma": 3, "Delta": 2}  # what the attacker reads
    for rows in (research, research_checkins):
        sizes = group_sizes(rows)
        assert sizes == {
            "Alpha": 10,
            "Beta": 6,
            exports.OTHER_PROGRAMS: 5,  # Gamma and Delta together
        }
        assert min(sizes.values()) >= MIN_GROUP
    # The merged group is every small-program patient, but which program each was on is not in the file.
    small = {truth[r["patient"]] for r in identified if r["program"] in {"Gamma", "Delta"}}
    assert {r["patient"] for r in research if r["program"] == exports.OTHER_PROGRAMS} == small


@pytest.mark.django_db
def test_small_programs_that_stay_small_together_are_left_out(tmp_path):
    clinic, admin = clinic_with_programs({"Alpha": 6, "Gamma": 3})
    identified, research, research_checkins, truth = files(clinic, admin, tmp_path)
    gamma = {truth[r["patient"]] for r in identified if r["program"] == "Gamma"}
    assert len(gamma) == 3
    for rows in (research, research_checkins):
        assert {r["program"] for r in rows} == {"Alpha"}
        assert not gamma & {r["patient"] for r in rows}


@pytest.mark.django_db
def test_belief_answers_of_a_rare_wording_version_are_left_blank():
    clinic, admin = clinic_with_programs({"Alpha": 8})
    filters = ReportFilter(clinic=clinic)
    rows = episode_rows(admin, filters)
    answers = {"consequences": 6, "personal_control": 4, "treatment_control": 5, "concern": 7}
    for i, row in enumerate(rows):
        row.beliefs = EpisodeBeliefs("licensed-v2" if i < 2 else "cft-beliefs-1", 0, answers)
    labels = exports.research_labels(admin, filters)
    kept = exports.research_episodes(rows, labels)
    versions = [r.beliefs.version if r.beliefs else None for r in kept]
    assert sorted(versions, key=str) == [None, None] + ["cft-beliefs-1"] * 6
    header = exports.RESEARCH_EPISODE_COLUMNS
    written = [
        dict(zip(header, row, strict=True)) for row in exports.episode_export_rows(kept, clinic.pk, research=True)
    ]
    assert sum(r["beliefs_version"] == "" for r in written) == 2
    assert all(r["belief_concern_intake"] is None for r in written if r["beliefs_version"] == "")
