"""The report's belief figures (reports/beliefs.py) against an independent computation on the same data: each
belief item's mean change from intake with SciPy's t interval, and its Pearson correlation with the ODI change with
SciPy's Fisher z interval, per program and for all patients; in the page, the API, CSV, XLSX and FHIR."""

from __future__ import annotations

import io
import json
import random
from types import SimpleNamespace

import pytest
from django.urls import reverse
from fhir.resources.R4B.bundle import Bundle
from scipy import stats as sp

from patients import beliefs
from patients.models import CheckIn, Episode
from patients.summaries import rebuild_outcomes
from programs.models import Program
from reports import exports
from reports.beliefs import attach_beliefs, episode_beliefs
from reports.disclosure import MIN_GROUP, TOO_FEW
from reports.selectors import ReportFilter, episode_rows, outcome_report
from reports.serializers import report_data
from tests.factories import (
    ClinicFactory,
    builtin_program,
    checkin,
    make_clinic_admin,
    make_therapist,
    patient_on_program,
)
from tests.reports.test_export_files import export, read_csv

ITEMS = beliefs.ITEMS


def set_beliefs(row: CheckIn, answers: dict[str, int | None], version: str = beliefs.OURS) -> None:
    CheckIn.objects.filter(pk=row.pk).update(
        beliefs_version=version, **{f"belief_{item}": value for item, value in answers.items()}
    )


def random_answers(rng: random.Random) -> dict[str, int | None]:
    return {item: rng.randint(0, 10) for item in ITEMS}


@pytest.fixture
def clinic(db) -> SimpleNamespace:
    """12 patients on the persistent program and 7 on return to work, seeded: ODI at weeks 0, 4 and 8, beliefs
    at 0 and 8 (some at 4), with the awkward cases: an intake at week 4 only, a latest in another wording, an
    item unanswered, a patient without any belief check-in."""
    rng = random.Random(22)
    place = ClinicFactory(name="Belief clinic", slug="belief-clinic")
    admin, therapist = make_clinic_admin(place), make_therapist(place)
    programs = [builtin_program(Program.Kind.PERSISTENT)] * 12 + [builtin_program(Program.Kind.RETURN_TO_WORK)] * 7
    for i, program in enumerate(programs):
        patient = patient_on_program(clinic=place, therapist=therapist, weeks_ago=9, program=program)
        rows = {week: checkin(patient, week, rng.randint(0, 5), rng.randint(0, 10), by=admin) for week in (0, 4, 8)}
        if i == 0:
            continue  # no belief check-in
        if i == 1:  # intake in week 4: the first belief check-in
            set_beliefs(rows[4], random_answers(rng))
            set_beliefs(rows[8], random_answers(rng))
            continue
        set_beliefs(rows[0], random_answers(rng))
        if i == 2:  # week 8 in another wording: the latest of the intake's wording is week 4
            set_beliefs(rows[4], random_answers(rng))
            set_beliefs(rows[8], random_answers(rng), version="licensed-2")
            continue
        if i % 3 == 0:
            set_beliefs(rows[4], random_answers(rng))
        answers = random_answers(rng)
        if i == 3:
            answers["concern"] = None
        set_beliefs(rows[8], answers)
    rebuild_outcomes()  # the answers were written straight to the table, past the services that keep the summaries
    return SimpleNamespace(clinic=place, admin=admin, filters=ReportFilter(clinic=place))


def oracle(episodes) -> dict[str, dict[str, object]]:
    """Per item: the changes and (change, ODI change) pairs, read straight from the check-ins."""
    found: dict[str, dict[str, list]] = {item: {"changes": [], "pairs": []} for item in ITEMS}
    for episode in episodes:
        rows = list(episode.checkins.order_by("week"))
        odi = [c for c in rows if c.odi_answered]
        odi_change = None
        if len(odi) >= 2:
            odi_change = float(odi[-1].odi_points * 20 / odi[-1].odi_answered) - float(
                odi[0].odi_points * 20 / odi[0].odi_answered
            )
        with_beliefs = [c for c in rows if c.beliefs_version]
        if not with_beliefs:
            continue
        intake = next((c for c in with_beliefs if c.week == 0), with_beliefs[0])
        later = [c for c in with_beliefs if c.week > intake.week and c.beliefs_version == intake.beliefs_version]
        if not later:
            continue
        for item in ITEMS:
            before, after = getattr(intake, f"belief_{item}"), getattr(later[-1], f"belief_{item}")
            if before is None or after is None:
                continue
            found[item]["changes"].append(after - before)
            if odi_change is not None:
                found[item]["pairs"].append((after - before, odi_change))
    return found


def check_against_scipy(group, expected) -> None:
    for item in ITEMS:
        changes, pairs = expected[item]["changes"], expected[item]["pairs"]
        figures = group.items[item]
        assert figures.change.n == len(changes)
        assert figures.change.mean == pytest.approx(sum(changes) / len(changes), rel=1e-12)
        ci = sp.ttest_1samp(changes, 0).confidence_interval(0.95)
        assert figures.change.ci_low == pytest.approx(ci.low, rel=1e-9)
        assert figures.change.ci_high == pytest.approx(ci.high, rel=1e-9)
        assert figures.with_odi.n == len(pairs)
        result = sp.pearsonr([x for x, _ in pairs], [y for _, y in pairs])
        r_ci = result.confidence_interval(0.95)
        assert figures.with_odi.r == pytest.approx(result.statistic, rel=1e-9, abs=1e-12)
        assert figures.with_odi.ci_low == pytest.approx(r_ci.low, rel=1e-9, abs=1e-12)
        assert figures.with_odi.ci_high == pytest.approx(r_ci.high, rel=1e-9, abs=1e-12)


def test_the_belief_figures_equal_scipy_on_the_same_data(clinic):
    report = outcome_report(clinic.admin, clinic.filters)
    episodes = Episode.objects.filter(patient__clinic=clinic.clinic)
    assert report.beliefs is not None
    check_against_scipy(report.beliefs.overall, oracle(episodes))
    assert [g.label for g in report.beliefs.by_program] == [g.label for g in report.by_program]
    for group in report.beliefs.by_program:
        mine = episodes.filter(assignments__program_id=int(group.key))
        check_against_scipy(group, oracle(mine))
    assert report.beliefs.overall.items["concern"].change.n == report.beliefs.overall.items["consequences"].change.n - 1


def test_intake_is_week_0_or_the_first_and_latest_keeps_the_wording():
    rows = [
        (1, 4, "a", 5, 5, 5, 5),
        (1, 0, "a", 8, 2, 3, 9),
        (1, 8, "b", 0, 10, 10, 0),
        (2, 4, "a", 6, None, 4, 4),
        (2, 8, "a", 2, 7, 4, 1),
        (3, 0, "a", 1, 1, 1, 1),
    ]
    found = episode_beliefs(rows)
    assert (found[1].intake_week, found[1].latest_week, found[1].change("consequences")) == (0, 4, -3)
    assert (found[2].intake_week, found[2].latest_week) == (4, 8)
    assert found[2].change("personal_control") is None and found[2].change("consequences") == -4
    assert found[3].latest is None and found[3].change("concern") is None


def test_the_beliefs_are_read_in_one_query(clinic, django_assert_num_queries):
    rows = episode_rows(clinic.admin, clinic.filters)
    with django_assert_num_queries(1):
        attach_beliefs(clinic.admin, clinic.filters, rows)
    assert sum(1 for r in rows if r.beliefs is not None) == 18


def test_the_public_form_holds_back_small_groups(clinic):
    data = report_data(outcome_report(clinic.admin, clinic.filters), public=True)["beliefs"]
    overall = data["overall"]["items"]["consequences"]
    assert overall["change"]["n"] >= MIN_GROUP and overall["with_odi_change"]["method"].startswith("Pearson")
    # only three patients keep their belief answers: their figures are too few to leave the clinic
    keep = list(Episode.objects.filter(patient__clinic=clinic.clinic).order_by("pk").values_list("pk", flat=True))
    CheckIn.objects.filter(patient__clinic=clinic.clinic).exclude(episode_id__in=keep[3:6]).update(beliefs_version="")
    rebuild_outcomes()
    small = report_data(outcome_report(clinic.admin, clinic.filters), public=True)["beliefs"]
    assert small["overall"]["items"]["consequences"]["change"] == TOO_FEW
    assert small["overall"]["items"]["consequences"]["with_odi_change"] == TOO_FEW
    inside = report_data(outcome_report(clinic.admin, clinic.filters), public=False)["beliefs"]
    assert inside["overall"]["items"]["consequences"]["change"]["n"] == 3


def test_the_report_page_and_api_show_the_belief_figures(clinic, client):
    client.force_login(clinic.admin)
    page = client.get(reverse("reports:page")).content.decode()
    assert 'id="belief-figures"' in page and "Personal control" in page and "r with ODI change" in page
    figures = outcome_report(clinic.admin, clinic.filters).beliefs.overall.items["treatment_control"]
    assert f"{figures.with_odi.r:.2f}" in page
    api = client.get(reverse("reports-outcomes")).json()
    assert set(api["beliefs"]["overall"]["items"]) == set(ITEMS)


def test_episode_exports_carry_the_belief_answers(clinic, tmp_path):
    rows = read_csv(export(clinic, "csv_episodes", tmp_path))
    codebook = {words: name for name, words in exports.HEADERS.items()}  # the file's headers are words
    header, body = [codebook[words] for words in rows[0]], rows[1:]
    for item in ITEMS:
        assert {f"belief_{item}_intake", f"belief_{item}_latest", f"belief_{item}_change"} <= set(header)
    at = {name: header.index(name) for name in header}
    expected = {e.patient_id: e for e in episode_rows(clinic.admin, clinic.filters)}
    by_pseudonym = {exports.pseudonym(clinic.clinic.pk, e.patient_uuid): e for e in expected.values()}
    checked = 0
    for line in body:
        b = by_pseudonym[line[at["patient"]]].beliefs
        if b is None:
            assert line[at["beliefs_version"]] == "" and line[at["belief_concern_change"]] == ""
            continue
        assert line[at["beliefs_version"]] == b.version
        for item in ITEMS:
            change = b.change(item)
            assert line[at[f"belief_{item}_change"]] == ("" if change is None else str(change))
            intake = b.intake[item]
            assert line[at[f"belief_{item}_intake"]] == ("" if intake is None else str(intake))
        checked += 1
    assert checked == 18
    xlsx = export(clinic, "xlsx", tmp_path)
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(xlsx))
    episodes = [list(r) for r in book["Episodes"].iter_rows(values_only=True)]
    assert episodes[0] == exports.EPISODE_HEADERS
    changes = [r[episodes[0].index("Consequences change (latest - intake)")] for r in episodes[1:]]
    assert all(isinstance(c, int) for c in changes if c is not None) and any(c is not None for c in changes)
    summary = [list(r) for r in book["Summary"].iter_rows(values_only=True)]
    assert any(r[:3] == ["overall", "All patients", "consequences"] for r in summary)


def test_fhir_gives_belief_checkins_our_items_without_a_loinc_code(clinic):
    buffer = io.StringIO()
    exports.write_fhir_bundle(buffer, clinic.admin, clinic.filters)
    data = json.loads(buffer.getvalue())
    Bundle.model_validate(data)
    responses = [e["resource"] for e in data["entry"] if e["resource"]["resourceType"] == "QuestionnaireResponse"]
    groups = [item for r in responses for item in r["item"] if item["linkId"] == "beliefs"]
    assert len(groups) == CheckIn.objects.filter(patient__clinic=clinic.clinic).exclude(beliefs_version="").count()
    ours = [g for g in groups if g["definition"] == f"{exports.BELIEFS_QUESTIONNAIRE}|{beliefs.OURS}"]
    assert ours and all(g["definition"].endswith("|licensed-2") for g in groups if g not in ours)
    for group in groups:
        assert {i["linkId"] for i in group["item"]} <= {f"belief-{item}" for item in ITEMS}
        assert all(isinstance(i["answer"][0]["valueInteger"], int) for i in group["item"])
        assert "code" not in group and all("code" not in i for i in group["item"])
    assert any(len(g["item"]) == 3 for g in groups)  # the unanswered concern is left out
    assert "loinc" not in json.dumps(groups).lower()
    assert len(responses) == CheckIn.objects.filter(patient__clinic=clinic.clinic).count()
