"""The patient page's "Narratives for these beliefs" panel: from the patient's latest belief answers, the beliefs
furthest from where therapy aims (`patients.beliefs.highest_needs`), the library's narratives tagged with them
(`programs.models.Narrative.beliefs`) that are not in the patient's current programs yet, each with an "Add to
plan" button (`services.add_narrative_to_plan`).

A mixin of `PatientAdmin` (patients/admin.py), kept apart so the patient page's other panels change independently.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import path

from cft.api import MAX_ID
from patients import beliefs, services
from patients.charts import belief_chart_svg
from patients.models import AssignmentItem, CheckIn, Episode, Patient
from programs.models import Belief, Narrative


@dataclass(frozen=True)
class Suggestion:
    narrative: Narrative
    meets: list[str]  # the labels of the highest-need beliefs it is tagged with


def library_for(user: Any, patient: Patient) -> QuerySet[Narrative]:
    """The narratives a patient's plan may take: the built-in library and the patient's own clinic's (not another
    clinic's, even for staff of both)."""
    return Narrative.objects.for_user(user).filter(Q(clinic__isnull=True) | Q(clinic_id=patient.clinic_id))


def latest_belief_checkin(checkins: Iterable[CheckIn]) -> CheckIn | None:
    """The latest check-in with a belief section (its wording version is set), of check-ins newest first."""
    return next((c for c in checkins if c.beliefs_version), None)


def in_current_plan(episode: Episode, week: int | None) -> Exists:
    """Whether the narrative (the outer row) is in the episode's current programs this week or later; one it had
    in weeks now past may be suggested again."""
    items = AssignmentItem.objects.filter(
        assignment__episode=episode,
        assignment__ended_on__isnull=True,
        kind=AssignmentItem.Kind.NARRATIVE,
        narrative_version__narrative=OuterRef("pk"),
    )
    if week is not None:
        items = items.filter(Q(end_week__isnull=True) | Q(end_week__gte=week))
    return Exists(items)


def suggest(narratives: Iterable[Narrative], needs: Sequence[str]) -> list[Suggestion]:
    """The narratives tagged with any of `needs` and not in the plan (`in_plan`, annotated by
    `in_current_plan`): those meeting more of them first, then by title."""
    found = []
    for narrative in narratives:
        meets = [item for item in needs if item in narrative.beliefs]
        if meets and not getattr(narrative, "in_plan", False):
            found.append(Suggestion(narrative, [Belief(item).label for item in meets]))
    return sorted(found, key=lambda s: (-len(s.meets), s.narrative.title.lower(), s.narrative.pk))


def belief_history(checkins: Sequence[CheckIn]) -> dict[str, Any]:
    """The belief answers over time (check-ins newest first, as the page has them), the chart, and the
    beliefs-to-address flag with the intake answers behind it (`beliefs.to_address`, an app rule)."""
    answered = [c for c in reversed(checkins) if c.beliefs_version]
    names = [Belief(item).label for item in beliefs.ITEMS]
    rows = [(c.week, c.beliefs_version, [c.beliefs[item] for item in beliefs.ITEMS]) for c in answered]
    intake = next((c for c in answered if c.week == 0), None)
    flag = None
    if intake is not None and beliefs.to_address(intake.beliefs):
        flag = {
            "consequences": intake.belief_consequences,
            "personal_control": intake.belief_personal_control,
        }
    return {
        "names": names,
        "rows": rows,
        "flag": flag,
        "chart": belief_chart_svg([(week, values) for week, _, values in rows], names),
    }


class BeliefNarrativesMixin:
    """URL, view and page context of the suggestion panel. Expects `_patient_for_change`, `_back` and
    `message_user` of PatientAdmin."""

    def belief_urls(self, wrap: Any) -> list[Any]:
        return [
            path(
                "<path:object_id>/narratives/add/",
                wrap(self.add_suggested_narrative_view),
                name="patients_patient_add_narrative",
            )
        ]

    def add_suggested_narrative_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        patient: Patient = self._patient_for_change(request, object_id)  # type: ignore[attr-defined]
        value = request.POST.get("narrative", "")
        narrative = None
        if value.isascii() and value.isdigit() and int(value) <= MAX_ID:
            narrative = library_for(request.user, patient).filter(pk=int(value)).first()
        if narrative is None:
            raise Http404("No such narrative in this patient's library.")
        try:
            item = services.add_narrative_to_plan(patient=patient, narrative=narrative, by=request.user)
        except ValidationError as exc:
            problems = "; ".join(" ".join(errors) for errors in exc.message_dict.values())
            self.message_user(request, f"{narrative.title} not added: {problems}", messages.ERROR)  # type: ignore[attr-defined]
        else:
            text = f"{narrative.title} added to {item.assignment.title} from week {item.start_week}."
            self.message_user(request, text, messages.SUCCESS)  # type: ignore[attr-defined]
        return self._back(patient)  # type: ignore[attr-defined]

    def belief_context(
        self,
        request: HttpRequest,
        patient: Patient,
        episode: Episode | None,
        checkins: Sequence[CheckIn],
        week: int | None,
    ) -> dict[str, Any]:
        """One query when the open episode has belief answers (the library, each narrative marked if in the plan
        from `week` on), none otherwise: the check-ins are the page's, newest first."""
        latest = latest_belief_checkin(checkins) if episode is not None else None
        if episode is None or latest is None:
            return {"belief_panel": None, "belief_history": None}
        answers = latest.beliefs
        needs = beliefs.highest_needs(answers)
        suggestions: list[Suggestion] = []
        if needs:
            # The tags are a JSON list, which SQLite cannot search by element: a clinic's library is small, so
            # the narratives are read in one query and matched here.
            library = library_for(request.user, patient).annotate(in_plan=in_current_plan(episode, week))
            suggestions = suggest(library.order_by("title"), needs)
        return {
            "belief_history": belief_history(checkins),
            "belief_panel": {
                "week": latest.week,
                "answers": [(Belief(item).label, answers[item]) for item in beliefs.ITEMS],
                "needs": [Belief(item).label for item in needs],
                "suggestions": suggestions,
                "can_add": any(a.ended_on is None for a in episode.assignments.all()),
            },
        }
