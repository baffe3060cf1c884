"""The report's query parameters (shared by the page, the API and exports) and its data as plain values.

`report_data(report, public=True)` is the form that leaves the clinic (API, exports' summary): a group, and any
statistic or count, resting on too few patients (`reports.disclosure.too_few`, the rule the page follows too) is
replaced by "too few", so no patient can be singled out.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from rest_framework import serializers

from cft.api import MAX_ID
from clinics.admin_scoping import Can, clinics_where
from clinics.models import Clinic, StaffMembership
from programs.models import Program
from reports import statistics as st
from reports.disclosure import MIN_GROUP, TOO_FEW, too_few
from reports.selectors import TIMEPOINTS, GroupReport, MeasureAt, OutcomeReport, ReportFilter

EARLIEST_REPORT_DATE, LATEST_REPORT_DATE = dt.date(1900, 1, 1), dt.date(2999, 12, 31)


def _plausible_report_date(value: dt.date) -> None:
    if not EARLIEST_REPORT_DATE <= value <= LATEST_REPORT_DATE:
        raise serializers.ValidationError(f"Choose a date between {EARLIEST_REPORT_DATE} and {LATEST_REPORT_DATE}.")


class ProgramPairField(serializers.ListField):
    """The two programs of a comparison: repeated (`compare=3&compare=7`, what the page's two menus send) or
    comma-separated (`compare=3,7`, the older form, still taken). Which clinic they belong to is checked by the
    serializer, which knows the clinic."""

    child = serializers.CharField()

    def to_internal_value(self, data: Any) -> list[int]:
        values = [data] if isinstance(data, str) else data
        if not isinstance(values, list | tuple):
            raise serializers.ValidationError("Choose two different programs to compare.")
        parts = [part.strip() for value in values for part in str(value).split(",") if part.strip()]
        if not all(part.isascii() and part.isdigit() and int(part) <= MAX_ID for part in parts):
            raise serializers.ValidationError("Program ids are whole numbers: choose the programs by name.")
        ids = [int(part) for part in parts]
        if len(ids) != 2 or ids[0] == ids[1]:
            raise serializers.ValidationError("Choose two different programs to compare.")
        return ids

    def to_representation(self, value: Any) -> list[int]:
        return list(value)


class ReportQuerySerializer(serializers.Serializer):
    """?clinic=<id>&start=YYYY-MM-DD&end=YYYY-MM-DD&program=<id>&therapist=<id>&compare=<id>&compare=<id>&at=latest"""

    clinic = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    # Dates far outside any clinic's data are typing errors (0001-01-01 overflowed the default start).
    start = serializers.DateField(required=False, validators=[_plausible_report_date])
    end = serializers.DateField(required=False, validators=[_plausible_report_date])
    program = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    therapist = serializers.IntegerField(required=False, min_value=1, max_value=MAX_ID)
    compare = ProgramPairField(
        required=False,
        help_text="Two program ids to compare: compare=<id>&compare=<id> (or comma-separated, compare=<id>,<id>).",
    )
    at = serializers.ChoiceField(choices=TIMEPOINTS, required=False, default="latest")

    def validate_clinic(self, value: int) -> int:
        if value not in clinics_where(self.context["user"], Can.VIEW_REPORTS):
            raise serializers.ValidationError("You are not a clinic admin of this clinic.")
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        user = self.context["user"]
        if "clinic" not in attrs:
            ids = clinics_where(user, Can.VIEW_REPORTS)
            if len(ids) != 1:
                raise serializers.ValidationError({"clinic": "Choose the clinic (you are an admin of several)."})
            attrs["clinic"] = ids[0]
        # Default: every episode that started up to today, so 12-month follow-ups stay in (a window on start
        # dates would drop exactly the patients a clinic's long-term outcomes are about). The page says so.
        attrs.setdefault("end", timezone.localdate())
        attrs.setdefault("start", None)
        if attrs["start"] is not None and attrs["start"] > attrs["end"]:
            raise serializers.ValidationError({"start": "The start date must not be after the end date."})
        library = Program.objects.filter(Q(clinic_id=attrs["clinic"]) | Q(clinic__isnull=True))
        for name in ("program",):
            if attrs.get(name) and not library.filter(pk=attrs[name]).exists():
                raise serializers.ValidationError({name: "No such program in this clinic."})
        for pk in attrs.get("compare") or ():
            if not library.filter(pk=pk).exists():
                raise serializers.ValidationError({"compare": f"No such program in this clinic: {pk}."})
        if attrs.get("therapist"):
            staff = StaffMembership.objects.filter(clinic_id=attrs["clinic"], user_id=attrs["therapist"])
            if not staff.exists():
                raise serializers.ValidationError({"therapist": "No such therapist in this clinic."})
        return attrs

    def report_filter(self) -> ReportFilter:
        data = self.validated_data
        return ReportFilter(
            clinic=Clinic.objects.get(pk=data["clinic"]),
            start=data["start"],
            end=data["end"],
            program_id=data.get("program"),
            therapist_id=data.get("therapist"),
        )


def therapists_of(clinic_id: int) -> list[Any]:
    return list(get_user_model().objects.filter(memberships__clinic_id=clinic_id).order_by("username"))


def _num(value: float | None, places: int = 2) -> float | None:
    if value is None:
        return None
    return float(Decimal(repr(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def _count(n: int, public: bool) -> int | str:
    return TOO_FEW if public and too_few(n) else n


def summary_data(s: st.Summary, public: bool, patients: int | None = None) -> dict[str, Any] | str:
    """`patients`: the patients the summary rests on, when its n counts something else (activity-weeks)."""
    if public and too_few(s.n if patients is None else patients):
        return TOO_FEW
    return {"n": s.n, "mean": _num(s.mean), "sd": _num(s.sd), "ci_low": _num(s.ci_low), "ci_high": _num(s.ci_high)}


def share_data(s: st.Share, public: bool, patients: int | None = None) -> dict[str, Any] | str:
    """`patients`: the patients the share rests on, when its n counts weeks (completion, quota met)."""
    if public and too_few(s.n if patients is None else patients):
        return TOO_FEW
    percent = None if s.share is None else s.share * 100
    return {
        "k": s.k,
        "n": s.n,
        "percent": _num(percent, 1),
        "ci_low": _num(None if s.ci_low is None else s.ci_low * 100, 1),
        "ci_high": _num(None if s.ci_high is None else s.ci_high * 100, 1),
    }


def measure_data(m: MeasureAt, public: bool) -> dict[str, Any]:
    return {
        "baseline": summary_data(m.baseline, public),
        "follow_up": summary_data(m.follow_up, public),
        "change": summary_data(m.change, public),
        "responders_points": share_data(m.responders_points, public),
        "responders_percent": share_data(m.responders_percent, public),
        "responders": share_data(m.responders, public),
    }


def group_data(g: GroupReport, public: bool) -> dict[str, Any]:
    if g.no_data:
        return {"key": g.key, "label": g.label, "no_data": True, "too_few": False, "started": 0}
    if public and g.too_few:
        return {"key": g.key, "label": g.label, "no_data": False, "too_few": True}
    return {
        "key": g.key,
        "label": g.label,
        "no_data": False,
        "too_few": False,
        "started": g.started,
        "with_baseline": _count(g.with_baseline, public),
        "with_follow_up": {tp: _count(n, public) for tp, n in g.with_follow_up.items()},
        "baseline": {m: summary_data(s, public) for m, s in g.baseline.items()},
        "outcomes": {tp: {m: measure_data(v, public) for m, v in ms.items()} for tp, ms in g.outcomes.items()},
        "completion": share_data(g.completion, public, patients=g.with_due),
        "quota_met": share_data(g.quota_met, public, patients=g.with_activity),
        "mean_done_of_quota": summary_data(g.mean_done_of_quota, public, patients=g.with_activity),
    }


def difference_data(d: st.Difference, public: bool) -> dict[str, Any] | str:
    if public and too_few(d.n_a, d.n_b):
        return TOO_FEW
    return {
        "n_a": d.n_a,
        "n_b": d.n_b,
        "difference": _num(d.difference),
        "ci_low": _num(d.ci_low),
        "ci_high": _num(d.ci_high),
        "df": _num(d.df, 1),
        "method": "Welch",
    }


def report_data(report: OutcomeReport, public: bool = True) -> dict[str, Any]:
    f = report.filters
    data: dict[str, Any] = {
        "clinic": f.clinic.pk,
        "start": f.start.isoformat() if f.start else None,
        "end": f.end.isoformat() if f.end else None,
        "program": f.program_id,
        "therapist": f.therapist_id,
        "min_group": MIN_GROUP,
        "overall": group_data(report.overall, public),
        "by_program": [group_data(g, public) for g in report.by_program],
        "by_therapist": [group_data(g, public) for g in report.by_therapist],
        "comparison": None,
    }
    c = report.comparison
    if c is not None:
        data["comparison"] = {
            "timepoint": c.timepoint,
            "a": group_data(c.a, public),
            "b": group_data(c.b, public),
            # each program's mean improvement, beside the difference of the two
            "mean_improvement": {
                m: {"a": summary_data(mean_a, public), "b": summary_data(mean_b, public)}
                for m, mean_a, mean_b, _ in c.rows()
            },
            "difference_in_improvement": {m: difference_data(d, public) for m, d in c.differences.items()},
        }
    from reports.beliefs import beliefs_data  # reports.beliefs formats its figures with this module's helpers

    data["beliefs"] = beliefs_data(report.beliefs, public) if report.beliefs else None
    return data
