"""API shapes for patients, check-ins, outcomes, plans and alerts. Field names are the clinical names used in
the models, the check-in form (patients/forms.py) and the service: `odi`, `pain_nrs`, `week`, `activities`,
`coping`, `red_flags`, `note`."""

from __future__ import annotations

import dataclasses
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, cast

from django.conf import settings
from django.contrib.auth import get_user_model
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from cft.api import MAX_ID, StrictFieldsMixin, id_field
from clinics import phones
from clinics.models import Clinic, clinic_ids_for
from patients import beliefs, scoring, services
from patients.belief_wording import OUR_WORDING, BeliefSection
from patients.dates import MAX_PROGRAM_WEEK, validate_program_start
from patients.models import (
    ALERT_NOTE_MAX_LENGTH,
    CHECKIN_NOTE_MAX_LENGTH,
    RED_FLAG_MESSAGES,
    RED_FLAGS,
    Alert,
    CheckIn,
    Patient,
)
from patients.outcomes import EpisodeOutcome, WeekPoint
from patients.plans import WeekPlan
from programs.quotas import MOST_IN_A_WEEK
from programs.rendering import render_markdown


def one_decimal_field(**kwargs: Any) -> serializers.DecimalField:
    """A score shown to one decimal, half up (docs/clinical-rules.md, ODI scoring), as a JSON number."""
    return serializers.DecimalField(
        max_digits=6, decimal_places=1, coerce_to_string=False, rounding=ROUND_HALF_UP, read_only=True, **kwargs
    )


# --- check-in input: the one place the request body's shape is defined -------------------------------------


class ActivityAnswerSerializer(StrictFieldsMixin, serializers.Serializer):
    item = id_field(help_text="Id of the activity in this week's plan (GET /api/v1/me/program/).")
    done = serializers.DecimalField(
        max_digits=8,
        decimal_places=1,
        min_value=Decimal("0"),
        max_value=MOST_IN_A_WEEK,
        coerce_to_string=False,
        help_text="What was done this week, in its unit, to one decimal (a number, or a string of one). At most "
        "10,080 minutes, 1,000,000 metres, 100,000 repetitions or 1,400,000 steps.",
    )


@extend_schema_field(ActivityAnswerSerializer(many=True))
class ActivityAnswersField(serializers.Field):
    """The week's activity answers (documented as `ActivityAnswerSerializer`). Only their shape is checked here:
    a list of objects with exactly `item` and `done`. Their values are `submit_checkin`'s to check (a number, one
    decimal, not negative, possible in a week, an activity of the week's plan), which it does naming the answer
    (`activities[0].done`). A nested serializer checked every entry twice and cost more than the rest of the body."""

    KEYS = frozenset({"item", "done"})

    def to_internal_value(self, data: Any) -> list[services.ActivityAnswer]:
        if not isinstance(data, list):
            raise serializers.ValidationError("Expected a list of items.")
        answers = []
        for index, entry in enumerate(data):
            if not isinstance(entry, dict):
                raise serializers.ValidationError([{}] * index + [["Give the activity's item id and what was done."]])
            if entry.keys() != self.KEYS:
                problems = {name: ["Unknown field."] for name in sorted(entry.keys() - self.KEYS)}
                problems.update({name: ["This field is required."] for name in sorted(self.KEYS - entry.keys())})
                raise serializers.ValidationError([{}] * index + [problems])
            item = entry["item"]
            if isinstance(item, str) and item.isascii() and item.isdigit() and len(item) < 19:
                item = int(item)  # "12" is 12, as an integer field would read it
            elif isinstance(item, bool) or not isinstance(item, int):
                raise serializers.ValidationError([{}] * index + [{"item": ["A valid integer is required."]}])
            if not 1 <= item <= MAX_ID:
                message = f"Give a whole number from 1 to {MAX_ID}."
                raise serializers.ValidationError([{}] * index + [{"item": [message]}])
            answers.append(services.ActivityAnswer(item=item, done=entry["done"]))
        return answers


class CopingAnswerSerializer(StrictFieldsMixin, serializers.Serializer):
    item = id_field(help_text="Id of the coping strategy in this week's plan.")
    used = serializers.BooleanField(default=False)
    helpful = serializers.IntegerField(
        min_value=0, max_value=10, allow_null=True, required=False, help_text="How helpful, 0 (not) to 10 (very)."
    )


RedFlagAnswersSerializer = type(
    "RedFlagAnswersSerializer",
    (StrictFieldsMixin, serializers.Serializer),
    {key: serializers.BooleanField(default=False, help_text=question) for key, (question, _) in RED_FLAGS.items()},
)


BeliefAnswersSerializer = type(
    "BeliefAnswersSerializer",
    (StrictFieldsMixin, serializers.Serializer),
    {
        item: serializers.IntegerField(
            min_value=beliefs.LOWEST, max_value=beliefs.HIGHEST, allow_null=True, required=False, help_text=question
        )
        for item, (question, _low, _high) in OUR_WORDING.items()
    },
)


class CheckInInputSerializer(StrictFieldsMixin, serializers.Serializer):
    odi = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=5, allow_null=True),
        min_length=10,
        max_length=10,
        help_text="Ten ODI answers, 0-5 or null for a skipped section, in section order (pain intensity first).",
    )
    pain_nrs = serializers.IntegerField(min_value=0, max_value=10, help_text="Average back pain, past 7 days.")
    week = serializers.IntegerField(
        min_value=0,
        max_value=MAX_PROGRAM_WEEK,
        required=False,
        help_text="Program week; defaults to the current week (0 = staff intake).",
    )
    activities = ActivityAnswersField(required=False)
    coping = CopingAnswerSerializer(many=True, required=False)
    red_flags = RedFlagAnswersSerializer(required=False)
    note = serializers.CharField(required=False, allow_blank=True, max_length=CHECKIN_NOTE_MAX_LENGTH, default="")
    beliefs = BeliefAnswersSerializer(
        required=False,
        help_text="The belief section, 0-10 per item or null: only in weeks it is due (intake and every 4 weeks; "
        "GET /api/v1/me/program/ gives its wording as `beliefs`).",
    )

    def answers(self) -> services.CheckInAnswers:
        """validated_data as `submit_checkin` takes it (the week is its own argument)."""
        data = self.validated_data
        return services.CheckInAnswers(
            odi=list(data["odi"]),
            pain_nrs=data["pain_nrs"],
            activities=data.get("activities", []),
            coping=[services.CopingAnswer(**entry) for entry in data.get("coping", [])],
            red_flags=dict(data.get("red_flags") or {}),
            note=data.get("note", ""),
            beliefs=dict(data["beliefs"]) if "beliefs" in data else None,
        )


# --- check-in output ------------------------------------------------------------------------------------------


class StoredActivitySerializer(serializers.Serializer):
    item = serializers.IntegerField()
    done = serializers.DecimalField(max_digits=9, decimal_places=1, coerce_to_string=False)
    quota = serializers.DecimalField(max_digits=9, decimal_places=1, coerce_to_string=False)


class StoredCopingSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    used = serializers.BooleanField()
    helpful = serializers.IntegerField(allow_null=True)


class CheckInVersionSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()
    replaced_at = serializers.DateTimeField()
    answers = serializers.JSONField()


class CheckInSerializer(serializers.ModelSerializer):
    odi = serializers.ListField(child=serializers.IntegerField(allow_null=True), source="odi_answers")
    odi_score = one_decimal_field(source="odi_shown", allow_null=True, help_text="Null when not scored.")
    odi_band = serializers.ChoiceField(choices=[band for _, band in scoring.ODI_BANDS], allow_null=True, read_only=True)
    odi_not_scored_reason = serializers.CharField(
        allow_null=True, read_only=True, help_text="Why the week has no ODI score (3 or more sections skipped)."
    )
    red_flags = serializers.SerializerMethodField()
    activities = StoredActivitySerializer(many=True)
    coping = StoredCopingSerializer(many=True)
    history = CheckInVersionSerializer(many=True, source="versions", read_only=True)
    beliefs = BeliefAnswersSerializer(read_only=True, help_text="All null in a week without the belief section.")

    class Meta:
        model = CheckIn
        fields = [
            "id",
            "week",
            "odi",
            "odi_score",
            "odi_band",
            "odi_not_scored_reason",
            "pain_nrs",
            "red_flags",
            "activities",
            "coping",
            "note",
            "beliefs",
            "beliefs_version",
            "entered_by",
            "submitted_at",
            "version",
            "history",
        ]
        read_only_fields = fields

    @extend_schema_field(RedFlagAnswersSerializer)
    def get_red_flags(self, checkin: CheckIn) -> dict[str, bool]:
        return {key: key in checkin.red_flags for key in RED_FLAGS}


class CheckInSubmittedSerializer(CheckInSerializer):
    """The answer to a submission: the stored check-in, and what the patient must be told at once."""

    created = serializers.SerializerMethodField()
    red_flag_urgency = serializers.SerializerMethodField()
    red_flag_message = serializers.SerializerMethodField()

    class Meta(CheckInSerializer.Meta):
        # The history is left out: the submitter has just seen it, and it would cost a query.
        fields = [
            *(name for name in CheckInSerializer.Meta.fields if name != "history"),
            "created",
            "red_flag_urgency",
            "red_flag_message",
        ]
        read_only_fields = fields

    def get_created(self, checkin: CheckIn) -> bool:
        return self.context["result"].created

    @extend_schema_field(serializers.ChoiceField(choices=["emergency", "urgent"], allow_null=True))
    def get_red_flag_urgency(self, checkin: CheckIn) -> str | None:
        return self.context["result"].red_flag_urgency

    @extend_schema_field(serializers.CharField(allow_null=True))
    def get_red_flag_message(self, checkin: CheckIn) -> str | None:
        urgency = self.context["result"].red_flag_urgency
        return RED_FLAG_MESSAGES[urgency] if urgency else None


# The fields that format a submission's answer (`submitted_data`), built once: a serializer copies its fields
# for every instance, and 30 activities made the answer cost a tenth of the submission.
_ONE_DECIMAL = serializers.DecimalField(max_digits=9, decimal_places=1, coerce_to_string=False)
_SCORE = one_decimal_field(allow_null=True)
_DATETIME = serializers.DateTimeField()


def submitted_data(result: services.CheckInResult) -> dict[str, Any]:
    """The answer to a submission, as `CheckInSubmittedSerializer` (its schema) gives it, built directly: the
    test holds the two equal (tests/api/test_me.py)."""
    checkin = result.checkin
    score = scoring.one_decimal(checkin.odi_exact)  # `odi_shown`, as its field reads it
    urgency = result.red_flag_urgency
    return {
        "id": checkin.pk,
        "week": checkin.week,
        "odi": list(checkin.odi_answers),
        "odi_score": None if score is None else _SCORE.to_representation(score),
        "odi_band": checkin.odi_band,
        "odi_not_scored_reason": checkin.odi_not_scored_reason,
        "pain_nrs": checkin.pain_nrs,
        "red_flags": {key: key in checkin.red_flags for key in RED_FLAGS},
        "activities": [
            {
                "item": entry["item"],
                "done": _ONE_DECIMAL.to_representation(entry["done"]),
                "quota": _ONE_DECIMAL.to_representation(entry["quota"]),
            }
            for entry in checkin.activities
        ],
        "coping": [
            {"item": entry["item"], "used": entry["used"], "helpful": entry["helpful"]} for entry in checkin.coping
        ],
        "note": checkin.note,
        "beliefs": checkin.beliefs,
        "beliefs_version": checkin.beliefs_version,
        "entered_by": checkin.entered_by,
        "submitted_at": _DATETIME.to_representation(checkin.submitted_at),
        "version": checkin.version,
        "created": result.created,
        "red_flag_urgency": urgency,
        "red_flag_message": RED_FLAG_MESSAGES[urgency] if urgency else None,
    }


# --- outcomes and plans (built from the dataclasses of patients.outcomes and patients.plans) ----------------


class WeekPointSerializer(serializers.Serializer):
    week = serializers.IntegerField()
    odi_score = one_decimal_field(allow_null=True)
    odi_band = serializers.CharField(allow_null=True)
    pain_nrs = serializers.IntegerField()
    submitted_at = serializers.DateTimeField()


class ChangeSerializer(serializers.Serializer):
    improvement = one_decimal_field(allow_null=True, help_text="Baseline minus latest; positive is better.")
    percent = one_decimal_field(allow_null=True, help_text="Null when the baseline is 0.")
    responder_points = serializers.BooleanField(allow_null=True)
    responder_percent = serializers.BooleanField(allow_null=True)
    responder = serializers.BooleanField(allow_null=True)


class OutcomeSerializer(serializers.Serializer):
    episode = serializers.IntegerField()
    baseline = WeekPointSerializer(allow_null=True)
    latest = WeekPointSerializer(allow_null=True)
    odi = ChangeSerializer()
    nrs = ChangeSerializer()
    series = WeekPointSerializer(many=True)
    done = serializers.IntegerField(help_text="Check-ins done in program weeks 1 to now.")
    due = serializers.IntegerField()
    completion = serializers.DecimalField(max_digits=5, decimal_places=1, coerce_to_string=False, allow_null=True)


def _point(point: WeekPoint | None) -> dict[str, Any] | None:
    if point is None:
        return None
    return {
        "week": point.week,
        "odi_score": point.odi,
        "odi_band": point.odi_band,
        "pain_nrs": point.pain_nrs,
        "submitted_at": point.submitted_at,
    }


def _change(change: scoring.Change) -> dict[str, Any]:
    return {
        "improvement": scoring.one_decimal(change.improvement),
        "percent": scoring.one_decimal(change.percent),
        "responder_points": change.responder_points,
        "responder_percent": change.responder_percent,
        "responder": change.responder,
    }


def outcome_data(episode_id: int, outcome: EpisodeOutcome) -> dict[str, Any]:
    return {
        "episode": episode_id,
        "baseline": _point(outcome.baseline),
        "latest": _point(outcome.latest),
        "odi": _change(outcome.odi),
        "nrs": _change(outcome.nrs),
        "series": [_point(p) for p in outcome.series],
        "done": outcome.done,
        "due": outcome.due,
        "completion": outcome.completion,
    }


class PlanNarrativeSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="The language of this item's text: the patient's, or the one it is written in while it has no "
        "text in theirs yet.",
    )
    title = serializers.CharField()
    body = serializers.CharField(help_text="Markdown.")
    body_html = serializers.CharField(help_text="The Markdown rendered and sanitised.")
    key_messages = serializers.ListField(child=serializers.CharField())


class PlanCopingSerializer(serializers.Serializer):
    item = serializers.IntegerField()
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="The language of this item's text: the patient's, or the one it is written in while it has no "
        "text in theirs yet.",
    )
    title = serializers.CharField()
    instructions = serializers.CharField()
    when_to_use = serializers.CharField()


class PlanActivitySerializer(serializers.Serializer):
    item = serializers.IntegerField()
    language = serializers.ChoiceField(
        choices=settings.LANGUAGES,
        help_text="The language of this item's text: the patient's, or the one it is written in while it has no "
        "text in theirs yet.",
    )
    title = serializers.CharField()
    activity = serializers.CharField()
    unit = serializers.CharField()
    quota = serializers.DecimalField(
        max_digits=9, decimal_places=1, coerce_to_string=False, help_text="The schedule's value for this week."
    )
    target = serializers.IntegerField(help_text="This week's goal in whole units: what the patient is asked to do.")
    goal = serializers.DecimalField(max_digits=9, decimal_places=1, coerce_to_string=False)


class BeliefQuestionSerializer(serializers.Serializer):
    item = serializers.ChoiceField(choices=list(beliefs.ITEMS))
    question = serializers.CharField()
    low_label = serializers.CharField(help_text="What 0 means.")
    high_label = serializers.CharField(help_text="What 10 means.")


class BeliefSectionSerializer(serializers.Serializer):
    version = serializers.CharField(help_text="The wording's version, stored with the answers.")
    questions = BeliefQuestionSerializer(many=True)


class WeekPlanSerializer(serializers.Serializer):
    week = serializers.IntegerField(allow_null=True)
    narratives = PlanNarrativeSerializer(many=True)
    coping = PlanCopingSerializer(many=True)
    activities = PlanActivitySerializer(many=True)
    beliefs = BeliefSectionSerializer(
        allow_null=True, help_text="The belief section to ask this week (intake and every 4 weeks), else null."
    )


def plan_data(
    plan: WeekPlan, belief_section: BeliefSection | None = None, language: str = settings.LANGUAGE_CODE
) -> dict[str, Any]:
    """The week's plan for the API, its items as `content.plan_in_language` gave them in `language`."""

    def language_of(item: Any) -> str:
        fallback = getattr(item, "fallback", None)
        return fallback.shown if fallback is not None else language

    narratives = []
    for item in plan.narratives:
        version = item.narrative_version
        body = version.body if version else ""
        narratives.append(
            {
                "item": item.pk,
                "language": language_of(item),
                "title": item.title,
                "body": body,
                "body_html": render_markdown(body),
                "key_messages": [line for line in (version.key_messages if version else "").splitlines() if line],
            }
        )
    return {
        "week": plan.week,
        "narratives": narratives,
        "coping": [
            {
                "item": i.pk,
                "language": language_of(i),
                "title": i.title,
                "instructions": i.instructions,
                "when_to_use": i.when_to_use,
            }
            for i in plan.coping
        ],
        "activities": [
            {
                "item": a.item.pk,
                "language": language_of(a.item),
                "title": a.item.title,
                "activity": a.item.activity,
                "unit": a.item.unit,
                "quota": a.quota,
                "target": int(a.target),
                "goal": a.item.goal,
            }
            for a in plan.activities
        ],
        "beliefs": dataclasses.asdict(belief_section) if belief_section else None,
    }


# --- staff: patients, assignments, alerts ---------------------------------------------------------------------


class PatientSerializer(StrictFieldsMixin, serializers.ModelSerializer):
    clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.none(), pk_field=id_field())
    primary_therapist = serializers.PrimaryKeyRelatedField(
        queryset=get_user_model().objects.none(), allow_null=True, required=False, pk_field=id_field()
    )
    status = serializers.ChoiceField(choices=Patient.Status.choices, required=False)
    # Text here: the model reads a number typed without a country code in the clinic's country (clinics.phones)
    # and answers a wrong one with a 400 naming `phone`; the answer is E.164.
    phone = serializers.CharField(required=False, allow_blank=True, max_length=40, help_text=phones.PHONE_HELP)
    baseline_odi = one_decimal_field(allow_null=True)
    latest_odi = one_decimal_field(allow_null=True)
    baseline_nrs = serializers.IntegerField(read_only=True, allow_null=True)
    latest_nrs = serializers.IntegerField(read_only=True, allow_null=True)
    latest_week = serializers.IntegerField(read_only=True, allow_null=True)
    last_checkin_at = serializers.DateTimeField(read_only=True, allow_null=True)
    has_open_alert = serializers.BooleanField(read_only=True)
    version = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=2**31 - 1,
        help_text="The record's version. Send back the one you read: a change made on an older copy answers 409.",
    )

    class Meta:
        model = Patient
        fields = [
            "id",
            "uuid",
            "clinic",
            *services.EDITABLE_PATIENT_FIELDS,
            "status",
            "version",
            "created_at",
            "baseline_odi",
            "latest_odi",
            "baseline_nrs",
            "latest_nrs",
            "latest_week",
            "last_checkin_at",
            "has_open_alert",
        ]
        read_only_fields = ["id", "uuid", "created_at"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and not getattr(user, "patient", None):
            ids = Clinic.objects.values_list("pk", flat=True) if user.is_superuser else clinic_ids_for(user)
            cast(serializers.RelatedField, self.fields["clinic"]).queryset = Clinic.objects.filter(pk__in=ids)
            cast(serializers.RelatedField, self.fields["primary_therapist"]).queryset = (
                get_user_model().objects.filter(memberships__clinic__in=ids).distinct()
            )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if self.instance is not None and "clinic" in attrs and attrs["clinic"].pk != self.instance.clinic_id:
            raise serializers.ValidationError({"clinic": "A patient cannot move to another clinic."})
        if self.instance is None and attrs.get("status", Patient.Status.ACTIVE) != Patient.Status.ACTIVE:
            raise serializers.ValidationError({"status": "A new patient starts active."})
        return attrs


class AssignmentInputSerializer(StrictFieldsMixin, serializers.Serializer):
    program = id_field(help_text="A built-in program or one of the patient's clinic.")
    start_date = serializers.DateField(
        help_text="Week 1 starts on this day (at most five years ago, a year ahead).",
        validators=[validate_program_start],
    )
    goals = serializers.CharField(required=False, allow_blank=True, default="", help_text="When opening an episode.")
    change = serializers.ChoiceField(
        choices=[("replace", "replace"), ("alongside", "alongside")],
        default="replace",
        help_text="With a program already running: `replace` ends it on start_date (kept as history); `alongside` "
        "adds this one beside it. A component in both is asked once.",
    )


class AssignmentSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    episode = serializers.IntegerField(source="episode_id")
    program = serializers.IntegerField(source="program_id", allow_null=True)
    title = serializers.CharField()
    start_date = serializers.DateField()
    ended_on = serializers.DateField(allow_null=True)
    items = serializers.IntegerField(source="item_count")
    replaced = serializers.ListField(child=serializers.IntegerField(), source="replaced_ids", default=list)


class AlertSerializer(serializers.ModelSerializer):
    patient_name = serializers.CharField(source="patient.__str__", read_only=True)
    weeks = serializers.SerializerMethodField(help_text="Every program week the alert covers, in order.")

    class Meta:
        model = Alert
        fields = [
            "id",
            "patient",
            "patient_name",
            "kind",
            "week",
            "latest_week",
            "weeks",
            "urgent",
            "details",
            "raised_at",
            "updated_at",
            "acknowledged_at",
            "acknowledged_by",
            "note",
        ]
        read_only_fields = fields
        extra_kwargs = {
            "week": {"help_text": "The first program week the alert covers."},
            "latest_week": {"help_text": "The last program week the alert covers."},
            "updated_at": {"help_text": "When a week was last added to the alert (or it was raised)."},
            "note": {"help_text": "What was done, written when acknowledging."},
        }

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField(min_value=0)))
    def get_weeks(self, alert: Alert) -> list[int]:
        return list(alert.weeks or [alert.week])


class AlertAcknowledgeSerializer(StrictFieldsMixin, serializers.Serializer):
    note = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        trim_whitespace=True,
        max_length=ALERT_NOTE_MAX_LENGTH,
        help_text="What was done (a call, a changed plan); kept with the acknowledgement and in the audit log.",
    )


class StaffLoginSerializer(StrictFieldsMixin, serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"}, trim_whitespace=False, write_only=True)
    otp = serializers.RegexField(
        r"^[0-9]{6}$",
        required=False,
        write_only=True,
        help_text="The 6-digit code from the authenticator app; required when the clinic requires a second factor.",
    )


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Send as `Authorization: Token <token>`; shown once.")
    expires_at = serializers.DateTimeField(read_only=True)


class StaffTokenSerializer(serializers.Serializer):
    id = serializers.CharField(source="token_key", read_only=True, help_text="The first characters of the key.")
    created = serializers.DateTimeField(read_only=True)
    expires_at = serializers.DateTimeField(source="expiry", read_only=True)


class PatientSessionInputSerializer(StrictFieldsMixin, serializers.Serializer):
    token = serializers.CharField(help_text="The token of the magic link (the part after /checkin/).")


class MeClinicSerializer(serializers.Serializer):
    name = serializers.CharField(read_only=True)
    phone = serializers.CharField(read_only=True, help_text="The clinic's number (E.164), for the emergency panel.")
    emergency_number = serializers.CharField(read_only=True, help_text="The local emergency number.")


class MeSerializer(StrictFieldsMixin, serializers.Serializer):
    """The signed-in patient: their name, their clinic's numbers, and the language of their pages and emails,
    the one thing they change here (as on their pages)."""

    first_name = serializers.CharField(read_only=True)
    language = serializers.ChoiceField(choices=settings.LANGUAGES)
    clinic = MeClinicSerializer(read_only=True)


class PatientSessionSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True, help_text="Send as `Authorization: Token <token>`.")
    expires_at = serializers.DateTimeField(read_only=True)
