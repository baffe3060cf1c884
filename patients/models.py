from __future__ import annotations

import datetime as dt
import unicodedata
import uuid
import zoneinfo
from fractions import Fraction
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop

from clinics import phones
from clinics.models import ClinicScopedQuerySet, validate_time_zone
from patients import beliefs, scoring
from patients.dates import program_week
from programs.models import WEEK_VALIDATORS, ActivityPlanFields

RED_FLAGS: dict[str, tuple[str, str]] = {
    # key: (question, urgency) - docs/clinical-rules.md, red flags
    "rf_bladder_bowel": (
        gettext_noop("Any new trouble passing urine or controlling your bladder or bowels?"),
        "emergency",
    ),
    "rf_saddle": (gettext_noop("Any new numbness around your back passage, genitals or inner thighs?"), "emergency"),
    "rf_leg_weakness": (
        gettext_noop("Are your legs getting weaker, or is numbness spreading or now in both legs?"),
        "emergency",
    ),
    "rf_fever": (gettext_noop("Have you had a fever or felt hot and shivery with your back pain?"), "urgent_same_day"),
    "rf_infection_risk": (
        gettext_noop("Have you injected drugs, or been told your immune system is weak?"),
        "urgent_same_day",
    ),
    "rf_trauma": (gettext_noop("Have you had a fall, accident or blow to your back?"), "urgent_same_day"),
    "rf_bone_risk": (
        gettext_noop("Have you started long-term steroid tablets or been told you have thin bones?"),
        "urgent_1_day",
    ),
    "rf_weight_loss": (gettext_noop("Have you lost weight without trying?"), "urgent_1_day"),
    "rf_cancer_new": (
        gettext_noop("Have you been told you have cancer, or had cancer treatment, that we don't know about?"),
        "urgent_1_day",
    ),
    "rf_night_pain": (
        gettext_noop("Is your pain constant, and still bad at night when you rest or change position?"),
        "urgent_1_day",
    ),
}
RED_FLAG_MESSAGES = {
    "emergency": gettext_noop("Call emergency services or go to an emergency department now."),
    "urgent": gettext_noop("Contact your clinic today; if it is closed and you feel unwell, call emergency services."),
}


def validate_single_line(value: str) -> None:
    """Identifiers are one line of printable text: a control character (CR, LF, tab, NUL...) or a Unicode line
    separator in a record number or name would split or shift rows in the files read by other software."""
    bad = next((c for c in value if unicodedata.category(c) in ("Cc", "Zl", "Zp")), None)
    if bad is not None:
        raise ValidationError(
            f"Control characters such as line breaks or tabs are not allowed (found U+{ord(bad):04X}).",
            code="control_character",
        )


class PatientQuerySet(ClinicScopedQuerySet):
    def active(self) -> PatientQuerySet:
        return self.filter(status=Patient.Status.ACTIVE)

    def caseload_of(self, user: object) -> PatientQuerySet:
        return self.filter(primary_therapist=user)

    def needing_attention(self) -> PatientQuerySet:
        """Patients with at least one open (unacknowledged) alert."""
        open_alerts = Alert.objects.filter(patient=models.OuterRef("pk"), acknowledged_at__isnull=True)
        return self.filter(models.Exists(open_alerts))


class Patient(models.Model):
    class Status(models.TextChoices):
        ACTIVE = "active", "Active"
        PAUSED = "paused", "Paused"
        DISCHARGED = "discharged", "Discharged"

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.PROTECT, related_name="patients")
    primary_therapist = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="caseload"
    )
    first_name = models.CharField(max_length=100, validators=[validate_single_line])
    last_name = models.CharField(max_length=100, validators=[validate_single_line])
    record_number = models.CharField(max_length=50, blank=True, validators=[validate_single_line])
    # Optional: a patient the clinic reaches by phone has none, and gets no reminders or links by email.
    email = models.EmailField(blank=True, help_text="Needed for reminders and check-in links by email.")
    phone = phones.PhoneField(max_length=40, blank=True, help_text=phones.PHONE_HELP)  # E.164
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    checkin_weekday = models.PositiveSmallIntegerField(
        "check-in weekday", choices=Weekday.choices, default=Weekday.MONDAY
    )
    checkin_hour = models.PositiveSmallIntegerField("check-in hour", default=9, validators=[MaxValueValidator(23)])
    reminder_consent = models.BooleanField(default=False)
    # The language of the patient's pages and emails: chosen by the therapist, changeable by the patient.
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en-gb")
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.ACTIVE)
    # Bumped on discharge or on request: every magic link signed with an older value stops working.
    link_generation = models.PositiveIntegerField(default=0)
    # The nonce of the one check-in link that can still be opened (patients.links): empty once it is used.
    link_nonce = models.CharField(max_length=32, blank=True, default="", editable=False)
    # Counts staff edits of the record: a save made on an older copy is refused (`services.update_patient`).
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["last_name", "first_name"]
        indexes = [
            models.Index(fields=["clinic", "status"]),
            models.Index(fields=["primary_therapist", "status"]),
            # The time zones in use, which every caseload page lists (`adherence_queries.time_zones_in`): read from
            # the index alone, not the clinic's rows (2 ms, not 4-6, at 10,000 patients).
            models.Index(fields=["clinic", "time_zone"], name="patient_time_zones"),
        ]
        constraints = [models.CheckConstraint(condition=Q(checkin_hour__lte=23), name="checkin_hour_in_day")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"

    def clean_fields(self, exclude: Any = None) -> None:
        # A number typed without a country code is one of the clinic's country (clinics.phones).
        country = self.clinic.default_country if self.clinic_id else phones.DEFAULT_COUNTRY
        self.phone = phones.in_country(self.phone, country)
        super().clean_fields(exclude)

    def clean(self) -> None:
        # Reminders and check-in links go by email: consent to them means nothing without an address.
        if self.reminder_consent and not self.email:
            raise ValidationError(
                {
                    "reminder_consent": "Reminders and check-in links are sent by email: enter the patient's Email, "
                    "or leave Reminder consent unticked for a patient the clinic reaches another way."
                }
            )

    @property
    def patient(self) -> Patient:
        """Itself: every record about one patient exposes `patient` (what `audit.record` reads)."""
        return self

    @property
    def tz(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)

    def local_today(self, now: dt.datetime | None = None) -> dt.date:
        return timezone.localtime(now or timezone.now(), self.tz).date()

    def current_episode(self) -> Episode | None:
        """The open episode, with its week one read in the same query (every caller counts program weeks)."""
        return self.episodes.filter(ended_on__isnull=True).with_week_one().order_by("-started_on").first()


if TYPE_CHECKING:
    from typing import TypedDict

    from django_stubs_ext import WithAnnotations

    class WeekOne(TypedDict):
        week_one: dt.date | None


class EpisodeQuerySet(ClinicScopedQuerySet):
    clinic_field = "patient__clinic"

    def with_week_one(self) -> models.QuerySet[WithAnnotations[Episode, WeekOne]]:
        """Each episode's week one as `week_one`: the one annotation every program-week count reads."""
        # The annotation is passed as a keyword, which the django-stubs plugin types as Any: say what it holds.
        annotated = self.annotate(week_one=Assignment.objects.filter(episode=OuterRef("pk")).week_one())
        return cast("models.QuerySet[WithAnnotations[Episode, WeekOne]]", annotated)


DISCHARGE_NOTE_MAX_LENGTH = 2000
CHECKIN_NOTE_MAX_LENGTH = 4000  # the patient's note to their physiotherapist


class Episode(models.Model):
    """An episode of care. Program weeks are counted from its first assignment's start date."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episodes")
    started_on = models.DateField()
    ended_on = models.DateField(null=True, blank=True)
    goals = models.TextField(blank=True, help_text="The patient's goals, in their own words.")
    discharge_note = models.TextField(
        "discharge note",
        blank=True,
        validators=[MaxLengthValidator(DISCHARGE_NOTE_MAX_LENGTH)],
        help_text="Why and how care ended, for the record (the therapist's words).",
    )

    objects = EpisodeQuerySet.as_manager()

    class Meta:
        ordering = ["-started_on"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("started_on")),
                name="episode_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"Episode from {self.started_on}"

    def week_one_starts_on(self) -> dt.date | None:
        if "week_one" in self.__dict__:  # annotated by EpisodeQuerySet.with_week_one
            return self.__dict__["week_one"]
        prefetched = getattr(self, "_prefetched_objects_cache", {}).get("assignments")
        if prefetched is not None:  # prefetch_related("assignments"): no query
            self.__dict__["week_one"] = min((a.start_date for a in prefetched), default=None)
            return self.__dict__["week_one"]
        return self.assignments.order_by("start_date").values_list("start_date", flat=True).first()

    def program_week_on(self, day: dt.date) -> int | None:
        return program_week(day, self.week_one_starts_on())


class AssignmentQuerySet(models.QuerySet):
    def week_one(self) -> Subquery:
        """The earliest start date of these assignments, as a subquery (filter them by an OuterRef): week one of
        the episode they belong to."""
        return Subquery(self.order_by("start_date", "pk").values("start_date")[:1])


class Assignment(models.Model):
    """A program given to a patient's episode. Its items are a copy of the template's at assignment time, so
    later template edits never change it; per-patient tailoring edits these items only.

    Changing the program ends this one (`ended_on`, the replacement's start date) and keeps it as history. A
    change counts in whole program weeks: an assignment is in the plan of the weeks from the one holding its
    start date up to the week before the one holding `ended_on` (`program_weeks`, docs/clinical-rules.md)."""

    TAILORED_SUFFIX = " (tailored for this patient)"

    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="assignments")
    program = models.ForeignKey("programs.Program", null=True, on_delete=models.SET_NULL, related_name="+")
    title = models.CharField(max_length=200)
    start_date = models.DateField()
    ended_on = models.DateField(
        null=True, blank=True, help_text="The day another program replaced it (it applies on the days before)."
    )
    assigned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["start_date", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=models.F("start_date")),
                name="assignment_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return f"{self.title} from {self.start_date}"

    @property
    def patient(self) -> Patient:
        return self.episode.patient

    @property
    def is_tailored(self) -> bool:
        return self.title.endswith(self.TAILORED_SUFFIX)

    def program_weeks(self, week_one: dt.date | None) -> tuple[int, int | None] | None:
        """(first, last) program week this assignment is in the plan of; last is None while it runs on, and
        None for all when it never counts (replaced within its first week, or nothing is assigned)."""
        first = program_week(self.start_date, week_one)
        if first is None:
            return None
        if self.ended_on is None:
            return first, None
        last = (program_week(self.ended_on, week_one) or first) - 1
        return (first, last) if last >= first else None

    def is_in_week(self, week: int, week_one: dt.date | None) -> bool:
        weeks = self.program_weeks(week_one)
        return weeks is not None and weeks[0] <= week and (weeks[1] is None or week <= weeks[1])


class AssignmentItem(ActivityPlanFields):
    """A component as this patient has it. Activity plan fields are used only for kind 'activity'."""

    class Kind(models.TextChoices):
        NARRATIVE = "narrative", "Reassurance narrative"
        COPING = "coping", "Coping strategy"
        ACTIVITY = "activity", "Graded activity"

    assignment = models.ForeignKey(Assignment, on_delete=models.CASCADE, related_name="items")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    order = models.PositiveSmallIntegerField(default=0)
    start_week = models.PositiveSmallIntegerField(default=1, validators=WEEK_VALIDATORS)
    end_week = models.PositiveSmallIntegerField(null=True, blank=True, validators=WEEK_VALIDATORS)
    title = models.CharField(max_length=200)
    narrative_version = models.ForeignKey(
        "programs.NarrativeVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    coping_strategy = models.ForeignKey(
        "programs.CopingStrategy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    instructions = models.TextField(blank=True)
    when_to_use = models.TextField(blank=True)
    graded_activity = models.ForeignKey(
        "programs.GradedActivity", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    activity = models.CharField(max_length=200, blank=True)
    # Plan fields are nullable here because only activities have them (hence the ignores: a narrower override).
    unit = models.CharField(max_length=20, blank=True)
    baseline = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)  # type: ignore[assignment]
    increase_kind = models.CharField(max_length=10, blank=True)
    increase = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)  # type: ignore[assignment]
    goal = models.DecimalField(max_digits=9, decimal_places=1, null=True, blank=True)  # type: ignore[assignment]
    flare_margin = models.PositiveSmallIntegerField(null=True, blank=True)  # type: ignore[assignment]
    flare_response = models.CharField(max_length=10, blank=True)

    class Meta:
        ordering = ["assignment", "order", "pk"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.title}"

    @property
    def patient(self) -> Patient:
        return self.assignment.episode.patient

    def is_active_in(self, week: int) -> bool:
        return self.start_week <= week and (self.end_week is None or week <= self.end_week)


class CheckInQuerySet(ClinicScopedQuerySet):
    clinic_field = "patient__clinic"


class CheckIn(models.Model):
    """One per episode and program week (database constraint). A resubmission replaces the answers and keeps
    the earlier ones in CheckInVersion. Week 0 is an intake taken by the therapist before the program."""

    class EnteredBy(models.TextChoices):
        PATIENT = "patient", "Patient"
        STAFF = "staff", "Staff at a visit"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="checkins")
    # Not indexed alone: one_checkin_per_episode_week and checkin_trajectory both start with it.
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="checkins", db_index=False)
    # The episode's summary, joined on this row's own episode column (a relation with no column of its own): the
    # report's trajectories read each check-in with its episode's report keys without joining the episode.
    outcome = models.ForeignObject(
        "EpisodeOutcome",
        on_delete=models.DO_NOTHING,
        from_fields=["episode"],
        to_fields=["episode"],
        null=True,
        related_name="+",
    )
    week = models.PositiveSmallIntegerField()
    odi_answers = models.JSONField(help_text="Ten answers 0-5 or null, in the ODI section order.")
    odi_points = models.PositiveSmallIntegerField()
    odi_answered = models.PositiveSmallIntegerField()
    odi_score = models.DecimalField(
        max_digits=7, decimal_places=4, null=True, blank=True, help_text="Exact to 4 places; null when not scored."
    )
    pain_nrs = models.PositiveSmallIntegerField()
    red_flags = models.JSONField(default=list, blank=True, help_text="Keys of red-flag questions answered yes.")
    activities = models.JSONField(default=list, blank=True)
    coping = models.JSONField(default=list, blank=True)
    # How many of the week's graded activities were met (`patients.adherence.met_in_checkin`), set with the
    # answers by `submit_checkin`: the caseload adds these up in SQL (docs/clinical-rules.md, adherence).
    activities_met = models.PositiveSmallIntegerField(default=0, editable=False)
    # The belief section (`patients.beliefs`): asked at intake and every 4 weeks, each item 0-10 or unanswered,
    # stored with the version of the wording it was asked in ("" when the week had no belief section).
    belief_consequences = models.PositiveSmallIntegerField(null=True, blank=True)
    belief_personal_control = models.PositiveSmallIntegerField(null=True, blank=True)
    belief_treatment_control = models.PositiveSmallIntegerField(null=True, blank=True)
    belief_concern = models.PositiveSmallIntegerField(null=True, blank=True)
    beliefs_version = models.CharField(max_length=40, blank=True, default="")
    note = models.TextField(blank=True, validators=[MaxLengthValidator(CHECKIN_NOTE_MAX_LENGTH)])
    entered_by = models.CharField(max_length=10, choices=EnteredBy.choices, default=EnteredBy.PATIENT)
    entered_by_user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    submitted_at = models.DateTimeField(default=timezone.now)
    version = models.PositiveIntegerField(default=1)

    objects = CheckInQuerySet.as_manager()

    class Meta:
        ordering = ["episode", "week"]
        constraints = [
            models.UniqueConstraint(fields=["episode", "week"], name="one_checkin_per_episode_week"),
            models.CheckConstraint(condition=Q(pain_nrs__lte=10), name="checkin_nrs_0_10"),
            models.CheckConstraint(
                condition=Q(odi_score__isnull=True) | Q(odi_score__gte=0, odi_score__lte=100),
                name="checkin_odi_0_100",
            ),
            models.CheckConstraint(condition=Q(odi_answered__lte=10), name="checkin_odi_answered_0_10"),
            *(
                models.CheckConstraint(
                    condition=Q(**{f"belief_{item}__isnull": True}) | Q(**{f"belief_{item}__lte": beliefs.HIGHEST}),
                    name=f"checkin_belief_{item}_0_10",
                )
                for item in beliefs.ITEMS
            ),
        ]
        indexes = [
            models.Index(fields=["patient", "-week"]),
            # The report's belief figures read only the check-ins with a belief section (reports.beliefs): at
            # 100,000 patients this index takes that read from 0.31 s to 0.01 s (docs/BENCHMARKS.md).
            models.Index(fields=["episode"], name="checkin_with_beliefs", condition=~Q(beliefs_version="")),
            # The report's trajectories read every check-in of a clinic, these columns only: on PostgreSQL an
            # index-only scan of this index instead of the whole table (1.46M check-ins: 466 to 352 ms).
            models.Index(
                fields=["episode", "week", "odi_points", "odi_answered", "odi_score", "pain_nrs"],
                name="checkin_trajectory",
            ),
        ]

    def __str__(self) -> str:
        return f"Week {self.week} check-in"

    @property
    def odi_exact(self) -> Fraction | None:
        return scoring.odi_score_from(self.odi_points, self.odi_answered)

    @property
    def odi_not_scored_reason(self) -> str | None:
        """Why this week has no disability score, in words for the patient (None when it has one)."""
        skipped = scoring.ODI_SECTION_COUNT - (self.odi_answered or 0)
        if skipped <= scoring.ODI_MAX_SKIPPED:
            return None
        answered = scoring.ODI_SECTION_COUNT - scoring.ODI_MAX_SKIPPED
        return gettext(
            "Your disability score was not worked out this week: %(skipped)s of the %(sections)s parts were left "
            "unanswered, and it needs at least %(answered)s answered to be accurate."
        ) % {"skipped": skipped, "sections": scoring.ODI_SECTION_COUNT, "answered": answered}

    @property
    def odi_shown(self) -> object:
        return scoring.one_decimal(self.odi_exact)

    @property
    def odi_band(self) -> str | None:
        return scoring.odi_band(self.odi_exact)

    @property
    def beliefs(self) -> dict[str, int | None]:
        """The belief answers by item (`patients.beliefs.ITEMS`); all None in a week without the section."""
        return {item: getattr(self, f"belief_{item}") for item in beliefs.ITEMS}

    @property
    def red_flag_questions(self) -> list[str]:
        """The red-flag questions answered yes, in their words."""
        return [RED_FLAGS[key][0] for key in self.red_flags if key in RED_FLAGS]


class CheckInVersion(models.Model):
    """An earlier version of a check-in's answers, kept when the patient resubmits in the same week."""

    checkin = models.ForeignKey(CheckIn, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    answers = models.JSONField()
    submitted_at = models.DateTimeField()
    replaced_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["checkin", "version"]
        constraints = [models.UniqueConstraint(fields=["checkin", "version"], name="one_row_per_checkin_version")]

    def __str__(self) -> str:
        return f"Version {self.version} of {self.checkin}"


ALERT_NOTE_MAX_LENGTH = 1000


class AlertQuerySet(ClinicScopedQuerySet):
    clinic_field = "patient__clinic"

    def open(self) -> AlertQuerySet:
        return self.filter(acknowledged_at__isnull=True)

    def acknowledged(self) -> AlertQuerySet:
        return self.filter(acknowledged_at__isnull=False)


class Alert(models.Model):
    class Kind(models.TextChoices):
        RED_FLAG = "red_flag", "Red flag"
        WORSENING = "worsening", "Worsening"
        MISSED = "missed", "Missed check-ins"
        FLARE = "flare", "Flare"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="alerts")
    episode = models.ForeignKey(Episode, on_delete=models.CASCADE, related_name="alerts")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # One open alert per episode and kind gathers every week that meets its rule until it is acknowledged
    # (docs/clinical-rules.md, "Alerts"): `week` is the first of them, `latest_week` the last, `weeks` all.
    week = models.PositiveSmallIntegerField()
    latest_week = models.PositiveSmallIntegerField()
    weeks = models.JSONField(default=list, blank=True, help_text="Every program week the alert covers, in order.")
    urgent = models.BooleanField(default=False)
    details = models.JSONField(default=dict, blank=True)
    raised_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    note = models.TextField(
        max_length=ALERT_NOTE_MAX_LENGTH, blank=True, help_text="What was done, written when acknowledging."
    )
    # How many times a red flag was added (a resubmission adding one, or a red flag in another week while the
    # alert is open): each escalation notifies the therapist once more (reminders.AlertNotification is unique per
    # alert and escalation).
    escalation = models.PositiveSmallIntegerField(default=0)

    objects = AlertQuerySet.as_manager()

    class Meta:
        ordering = ["-raised_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["episode", "kind"], condition=Q(acknowledged_at__isnull=True), name="one_open_alert_per_kind"
            )
        ]
        indexes = [
            models.Index(fields=["patient"], name="alert_open_by_patient", condition=Q(acknowledged_at__isnull=True))
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.weeks_label})"

    @property
    def weeks_label(self) -> str:
        """'week 3' or 'weeks 3, 4, 6'."""
        weeks = self.weeks or [self.week]
        return ("week " if len(weeks) == 1 else "weeks ") + ", ".join(str(w) for w in weeks)


class EpisodeOutcomeQuerySet(ClinicScopedQuerySet):
    clinic_field = "clinic"


class EpisodeOutcome(models.Model):
    """One episode's outcome summary, kept by `patients.summaries.refresh_outcome` in the transaction of every
    change to the episode's check-ins or alerts (and its discharge), so lists filter and sort on indexed columns
    instead of reading every check-in. The figures are `patients.outcomes`'s: ODI as exact points and sections
    answered plus the stored 4-place score (for sorting), change = baseline - latest (positive is better),
    responder flags by `scoring.change_from_baseline` (None without a follow-up). Never edited by hand:
    `manage.py rebuild_outcome_summaries` recomputes it from the check-ins."""

    episode = models.OneToOneField(Episode, on_delete=models.CASCADE, primary_key=True, related_name="outcome")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="episode_outcomes")
    is_current = models.BooleanField(
        default=False,
        help_text="The patient's current episode: the open one, else the last one (care has ended). The caseload "
        "reads this row, so a discharged patient shows the outcome of their last episode.",
    )
    first_assignment = models.ForeignKey(
        "Assignment",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The episode's first assignment (earliest start, then the lowest id): its start is week one and "
        "its program the episode's in reports. Kept by assign_program and the rebuild.",
    )
    # The report's keys (`patients.summaries.report_keys`): the patient's clinic, therapist and time zone, the first
    # assignment's program and start, and the episode's dates, so a report reads this one table (issue 19). Kept by
    # the services that change them (open_episode, assign_program, discharge, update_patient) and the rebuild.
    clinic = models.ForeignKey("clinics.Clinic", null=True, on_delete=models.CASCADE, related_name="+")
    therapist = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    time_zone = models.CharField(max_length=64, default="UTC")
    program = models.ForeignKey("programs.Program", null=True, on_delete=models.SET_NULL, related_name="+")
    week_one = models.DateField(null=True, help_text="The first assignment's start date.")
    starts_on = models.DateField(
        null=True, help_text="Week one, or the episode's start when nothing was assigned: what a report's range reads."
    )
    ended_on = models.DateField(null=True)
    checkin_count = models.PositiveSmallIntegerField(default=0)
    weeks_checked_in = models.PositiveSmallIntegerField(default=0, help_text="Program weeks 1 and on checked in.")
    baseline_week = models.PositiveSmallIntegerField(null=True)
    baseline_odi = models.DecimalField(max_digits=7, decimal_places=4, null=True)
    baseline_odi_points = models.PositiveSmallIntegerField(null=True)
    baseline_odi_answered = models.PositiveSmallIntegerField(null=True)
    baseline_nrs = models.PositiveSmallIntegerField(null=True)
    latest_week = models.PositiveSmallIntegerField(null=True)
    latest_odi = models.DecimalField(max_digits=7, decimal_places=4, null=True)
    latest_odi_points = models.PositiveSmallIntegerField(null=True)
    latest_odi_answered = models.PositiveSmallIntegerField(null=True)
    latest_nrs = models.PositiveSmallIntegerField(null=True)
    odi_change = models.DecimalField(max_digits=8, decimal_places=4, null=True)
    nrs_change = models.SmallIntegerField(null=True)
    odi_responder = models.BooleanField(null=True)
    nrs_responder = models.BooleanField(null=True)
    any_responder = models.BooleanField(default=False)
    worsening = models.BooleanField(default=False, help_text="The latest follow-up meets the worsening criterion.")
    # The reports' follow-ups (patients.summaries.FOLLOW_UP_WEEKS): that program week's check-in, after the baseline.
    week_4_odi_points = models.PositiveSmallIntegerField(null=True)
    week_4_odi_answered = models.PositiveSmallIntegerField(null=True)
    week_4_nrs = models.PositiveSmallIntegerField(null=True)
    week_8_odi_points = models.PositiveSmallIntegerField(null=True)
    week_8_odi_answered = models.PositiveSmallIntegerField(null=True)
    week_8_nrs = models.PositiveSmallIntegerField(null=True)
    week_12_odi_points = models.PositiveSmallIntegerField(null=True)
    week_12_odi_answered = models.PositiveSmallIntegerField(null=True)
    week_12_nrs = models.PositiveSmallIntegerField(null=True)
    # The reports' responder flags at each follow-up, by `scoring.change_from_baseline` (None without that
    # follow-up or a score; by percent also None at a baseline of 0), so a report counts them in SQL.
    week_4_odi_by_points = models.BooleanField(null=True)
    week_4_odi_by_percent = models.BooleanField(null=True)
    week_4_nrs_by_points = models.BooleanField(null=True)
    week_4_nrs_by_percent = models.BooleanField(null=True)
    week_8_odi_by_points = models.BooleanField(null=True)
    week_8_odi_by_percent = models.BooleanField(null=True)
    week_8_nrs_by_points = models.BooleanField(null=True)
    week_8_nrs_by_percent = models.BooleanField(null=True)
    week_12_odi_by_points = models.BooleanField(null=True)
    week_12_odi_by_percent = models.BooleanField(null=True)
    week_12_nrs_by_points = models.BooleanField(null=True)
    week_12_nrs_by_percent = models.BooleanField(null=True)
    latest_odi_by_points = models.BooleanField(null=True)
    latest_odi_by_percent = models.BooleanField(null=True)
    latest_nrs_by_points = models.BooleanField(null=True)
    latest_nrs_by_percent = models.BooleanField(null=True)
    checked_weeks = models.CharField(
        max_length=104, default="", help_text="'1' at position k - 1 when program week k (1-104) has a check-in."
    )
    # Graded-activity adherence over all the episode's check-ins (patients.summaries.activity_week): entries,
    # entries with the week's target met, and done / target (capped at 1) where the target is above 0.
    activity_weeks = models.PositiveIntegerField(default=0)
    activity_quota_met = models.PositiveIntegerField(default=0)
    activity_ratios = models.PositiveIntegerField(default=0)
    activity_ratio_sum = models.FloatField(default=0)
    activity_ratio_squares = models.FloatField(default=0)
    open_alert_count = models.PositiveSmallIntegerField(default=0)
    has_open_alert = models.BooleanField(default=False)
    has_red_flag = models.BooleanField(default=False)
    has_worsening = models.BooleanField(default=False)
    has_missed = models.BooleanField(default=False)
    has_flare = models.BooleanField(default=False)
    last_checkin_at = models.DateTimeField(null=True)
    # The report's belief figures (reports.beliefs): each item's change from intake to the latest belief check-in
    # of the same wording, when answered at both (patients.beliefs.change).
    belief_consequences_change = models.SmallIntegerField(null=True)
    belief_personal_control_change = models.SmallIntegerField(null=True)
    belief_treatment_control_change = models.SmallIntegerField(null=True)
    belief_concern_change = models.SmallIntegerField(null=True)

    objects = EpisodeOutcomeQuerySet.as_manager()

    class Meta:
        # Partial on the current episode, the caseload's row: one index per filter and sort (issue 19).
        indexes = [
            models.Index(fields=["patient"], name="outcome_current_by_patient", condition=Q(is_current=True)),
            models.Index(fields=["latest_odi"], name="outcome_current_latest_odi", condition=Q(is_current=True)),
            models.Index(fields=["odi_change"], name="outcome_current_odi_change", condition=Q(is_current=True)),
            models.Index(fields=["nrs_change"], name="outcome_current_nrs_change", condition=Q(is_current=True)),
            models.Index(
                fields=["patient"], name="outcome_current_responder", condition=Q(is_current=True, any_responder=True)
            ),
            models.Index(
                fields=["patient"], name="outcome_current_worsening", condition=Q(is_current=True, worsening=True)
            ),
            models.Index(
                fields=["patient"], name="outcome_current_attention", condition=Q(is_current=True, has_open_alert=True)
            ),
            models.Index(fields=["clinic", "starts_on"], name="outcome_report_scope"),
        ]

    def __str__(self) -> str:
        return f"Outcomes of episode {self.episode_id}"


class OdiWording(models.Model):
    """Wording of one ODI section in one language. Rows with clinic = NULL are the placeholder we ship (written in
    English and translated through the catalogue); a licensed clinic loads the official text per language with
    `manage.py load_odi_wording`. Scoring never reads this table."""

    clinic = models.ForeignKey("clinics.Clinic", null=True, blank=True, on_delete=models.CASCADE)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en-gb")
    section = models.PositiveSmallIntegerField(validators=[MinValueValidator(1), MaxValueValidator(10)])
    title = models.CharField(max_length=200)
    options = models.JSONField(help_text="Six statements, for answers 0 to 5.")
    is_placeholder = models.BooleanField(default=False)

    class Meta:
        ordering = ["clinic", "language", "section"]
        constraints = [
            models.UniqueConstraint(
                fields=["clinic", "language", "section"], name="one_wording_per_clinic_language_section"
            ),
            models.UniqueConstraint(
                fields=["section"], condition=Q(clinic__isnull=True), name="one_placeholder_wording_per_section"
            ),
        ]

    def __str__(self) -> str:
        return f"ODI {self.section} ({self.language}). {self.title}"


class BeliefWording(models.Model):
    """A clinic's wording of one belief item (`patients.beliefs.ITEMS`) in one language, for a published belief
    or self-efficacy questionnaire the clinic holds a licence for, loaded with `manage.py load_belief_wording`.
    `version` names that wording: answers are stored with it and never compared across versions. Without rows,
    patients see our own wording (`patients.belief_wording`, version `beliefs.OURS`)."""

    clinic = models.ForeignKey("clinics.Clinic", on_delete=models.CASCADE)
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default="en-gb")
    version = models.CharField(max_length=40)
    item = models.CharField(max_length=20, choices=[(item, item) for item in beliefs.ITEMS])
    question = models.CharField(max_length=300)
    low_label = models.CharField(max_length=100, help_text="What 0 means.")
    high_label = models.CharField(max_length=100, help_text="What 10 means.")

    class Meta:
        ordering = ["clinic", "language", "item"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "language", "item"], name="one_belief_wording_per_item"),
        ]

    def __str__(self) -> str:
        return f"{self.version} {self.item} ({self.language})"


class PatientTokenQuerySet(models.QuerySet):
    def usable(self) -> PatientTokenQuerySet:
        """Not expired, and the patient's links not revoked since it was issued (discharge revokes)."""
        return self.filter(
            expires_at__gt=timezone.now(),
            patient__link_generation=models.F("link_generation"),
        ).exclude(patient__status=Patient.Status.DISCHARGED)


class PatientToken(models.Model):
    """An API token a patient gets in exchange for a magic link. Only a SHA-256 digest of the key is stored:
    the key itself is shown once. It carries the link generation, so revoking links revokes it too."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="api_tokens")
    digest = models.CharField(max_length=64, unique=True)
    link_generation = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    objects = PatientTokenQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["patient", "expires_at"])]

    def __str__(self) -> str:
        return f"API token of patient {self.patient_id}"
