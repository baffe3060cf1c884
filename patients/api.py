"""REST API for patients (their own check-ins) and staff (their clinics' patients). Views are thin: validate
with a serializer, call the service, serialize. Every staff read starts from `for_user`, so a row of another
clinic is a 404; a patient's requests only ever reach `request.user.patient`."""

from __future__ import annotations

from typing import Any

import django_filters.rest_framework as filters
from django.contrib.auth import authenticate
from django.db import transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_otp import match_token
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox import views as knox_views
from rest_framework import exceptions, generics, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from audit.services import client_ip, record, record_list_read, record_patient_read
from cft.api import LoginRateThrottle, Pagination
from cft.filters import IdFilter, TrueOrFalseFilter, WeekFilter
from clinics.api_auth import STAFF_AUTHENTICATION, IsStaff
from clinics.api_tokens import issue_staff_token, live_tokens_of
from clinics.models import clinic_ids_for
from clinics.two_factor import two_factor_required
from patients import beliefs, links, services
from patients.authentication import IsPatient, PatientTokenAuthentication
from patients.belief_wording import belief_section
from patients.content import plan_in_language
from patients.models import Alert, CheckIn, Episode, Patient
from patients.outcomes import episode_outcome, with_patient_outcomes
from patients.plans import week_plan
from patients.serializers import (
    AlertAcknowledgeSerializer,
    AlertSerializer,
    AssignmentInputSerializer,
    AssignmentSerializer,
    CheckInInputSerializer,
    CheckInSerializer,
    CheckInSubmittedSerializer,
    MeSerializer,
    OutcomeSerializer,
    PatientSerializer,
    PatientSessionInputSerializer,
    PatientSessionSerializer,
    StaffLoginSerializer,
    StaffTokenSerializer,
    TokenSerializer,
    WeekPlanSerializer,
    outcome_data,
    plan_data,
    submitted_data,
)
from programs.models import Program

PATIENT_AUTHENTICATION = [PatientTokenAuthentication]

LINK_MESSAGES = {
    links.LinkProblem.EXPIRED: "This link has expired. Open the link in your latest check-in email, or ask "
    "your clinic to send a new one.",
    links.LinkProblem.INVALID: "This link is not valid. Open the link in your latest check-in email, or ask your "
    "clinic to send a new one.",
    links.LinkProblem.REVOKED: "This link no longer works. Ask your clinic to send a new one.",
    links.LinkProblem.USED: "This link has been used already, or a newer one was sent. Open the link in your "
    "latest check-in email, or ask your clinic to send a new one.",
}


class PatientView(generics.GenericAPIView):
    authentication_classes = PATIENT_AUTHENTICATION
    permission_classes = [IsPatient]
    pagination_class = Pagination

    def patient(self) -> Patient:
        return self.request.user.patient  # type: ignore[union-attr]


class StaffView(generics.GenericAPIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsStaff]
    pagination_class = Pagination

    def scoped_patient(self) -> Patient:
        if not hasattr(self, "_scoped_patient"):  # looked up once per request
            queryset = Patient.objects.for_user(self.request.user)
            self._scoped_patient = get_object_or_404(queryset, pk=self.kwargs["patient_id"])
        return self._scoped_patient

    def audit_read(self, patient: Patient, what: str) -> None:
        record_patient_read(self.request, patient, what)


def _open_episode(patient: Patient) -> Episode:
    episode = patient.current_episode()
    if episode is None:
        raise exceptions.NotFound("There is no open episode of care.")
    return episode


def _submit_checkin(request: Request, patient: Patient, by: Any, episode: Episode | None = None) -> Response:
    serializer = CheckInInputSerializer(data=request.data)
    serializer.is_valid(raise_exception=True)
    result = services.submit_checkin(
        patient=patient,
        answers=serializer.answers(),
        week=serializer.validated_data.get("week"),
        by=by,
        episode=episode,
    )
    return Response(submitted_data(result), status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class CheckInFilter(filters.FilterSet):
    week_min = WeekFilter(field_name="week", lookup_expr="gte")
    week_max = WeekFilter(field_name="week", lookup_expr="lte")
    episode = IdFilter(field_name="episode_id")
    week = WeekFilter()

    class Meta:
        model = CheckIn
        fields = ["week", "entered_by"]


# --- sign-in -------------------------------------------------------------------------------------------------


class StaffTokenView(APIView):
    """Staff username and password (and the TOTP code when a second factor is required) for a new API token
    (`Authorization: Token <token>`), valid until `expires_at` or until revoked."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=StaffLoginSerializer, responses={200: TokenSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = StaffLoginSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = authenticate(
            request, username=serializer.validated_data["username"], password=serializer.validated_data["password"]
        )
        # One message for a wrong password and for an account with no clinic: no hint which it was.
        if user is None or not user.is_active or not (user.is_superuser or clinic_ids_for(user)):
            raise exceptions.ValidationError({"password": "Wrong username or password, or not clinic staff."})
        if two_factor_required(user):
            # A token outlives the session, so it needs the same second factor the admin asks for.
            code = serializer.validated_data.get("otp")
            if not code:
                raise exceptions.ValidationError({"otp": "Your clinic requires the 6-digit code from your app."})
            if match_token(user, code) is None:
                record(action="login.api_token.bad_otp", actor=user, ip_address=client_ip(request))
                raise exceptions.ValidationError({"otp": "That code is not valid (or no authenticator is set up)."})
        key, token = issue_staff_token(user=user)
        record(action="login.api_token", actor=user, ip_address=client_ip(request))
        return Response({"token": key, "expires_at": token.expiry})


class StaffTokenListView(generics.ListAPIView):
    """The caller's own live API tokens (never the keys: only the first characters, to tell them apart)."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsStaff]
    pagination_class = Pagination
    serializer_class = StaffTokenSerializer

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return live_tokens_of(None).none()
        return live_tokens_of(self.request.user)


class StaffTokenRevokeView(APIView):
    """Revoke one of the caller's own tokens by its `id` (the first characters of the key)."""

    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsStaff]

    @extend_schema(request=None, responses={204: None})
    def delete(self, request: Request, token_id: str) -> Response:
        token = get_object_or_404(live_tokens_of(request.user), token_key=token_id)
        token.delete()
        record(action="api_token.revoked", actor=request.user, details={"reason": "revoked_by_owner", "tokens": 1})
        return Response(status=status.HTTP_204_NO_CONTENT)


class StaffLogoutView(knox_views.LogoutView):
    """Sign out: revoke the token this request carries."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format)


class StaffLogoutAllView(knox_views.LogoutAllView):
    """Sign out everywhere: revoke every API token of the caller."""

    @extend_schema(request=None, responses={204: None})
    def post(self, request: Request, format: str | None = None) -> Response:
        return super().post(request, format)


class PatientSessionView(APIView):
    """A magic-link token for a patient API token (limited to that patient; it expires). The link is used up:
    one link, one API token."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [LoginRateThrottle]

    @extend_schema(request=PatientSessionInputSerializer, responses={201: PatientSessionSerializer}, auth=[])
    def post(self, request: Request) -> Response:
        serializer = PatientSessionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        try:
            with transaction.atomic():  # a link is used up only if its API token was made
                patient = links.redeem(serializer.validated_data["token"])
                key, token = services.issue_patient_token(patient=patient)
        except links.LinkError as exc:
            raise exceptions.ValidationError({"token": LINK_MESSAGES[exc.problem]}) from None
        return Response({"token": key, "expires_at": token.expires_at}, status=status.HTTP_201_CREATED)


# --- the patient's own data ---------------------------------------------------------------------------------


class MeView(PatientView):
    serializer_class = MeSerializer

    def get(self, request: Request) -> Response:
        return Response(MeSerializer(self.patient()).data)

    def patch(self, request: Request) -> Response:
        patient = self.patient()
        serializer = MeSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        services.update_patient(patient=patient, **serializer.validated_data)  # nothing to change, nothing written
        return Response(MeSerializer(patient).data)


class MeProgramView(PatientView):
    serializer_class = WeekPlanSerializer

    def get(self, request: Request) -> Response:
        patient = self.patient()
        episode = _open_episode(patient)
        week = services.current_week(patient, episode)
        plan = plan_in_language(week_plan(episode, week), patient.language)
        asked = (
            belief_section(patient.clinic_id, patient.language) if week is not None and beliefs.is_due(week) else None
        )
        return Response(WeekPlanSerializer(plan_data(plan, asked, patient.language)).data)


class MeCheckInsView(PatientView, generics.ListAPIView):
    serializer_class = CheckInSerializer
    filterset_class = CheckInFilter

    def get_authenticators(self) -> list[BaseAuthentication]:
        return [PatientTokenAuthentication(with_open_episode=True)]  # the token and the open episode in one read

    def get_queryset(self) -> QuerySet[CheckIn]:
        if getattr(self, "swagger_fake_view", False):
            return CheckIn.objects.none()
        return CheckIn.objects.filter(patient=self.patient()).prefetch_related("versions").order_by("-week")

    @extend_schema(
        request=CheckInInputSerializer,
        responses={
            201: CheckInSubmittedSerializer,
            200: OpenApiResponse(CheckInSubmittedSerializer, description="Replaced this week's earlier check-in."),
        },
    )
    def post(self, request: Request) -> Response:
        return _submit_checkin(request, self.patient(), by=None, episode=request.user.episode)  # type: ignore[union-attr]


class MeOutcomesView(PatientView):
    serializer_class = OutcomeSerializer

    def get(self, request: Request) -> Response:
        episode = _open_episode(self.patient())
        return Response(OutcomeSerializer(outcome_data(episode.pk, episode_outcome(episode))).data)


# --- staff ------------------------------------------------------------------------------------------------------


class PatientFilter(filters.FilterSet):
    clinic = IdFilter(field_name="clinic_id")
    primary_therapist = IdFilter(field_name="primary_therapist_id")
    needs_attention = TrueOrFalseFilter(field_name="has_open_alert")
    record_number = filters.CharFilter()

    class Meta:
        model = Patient
        fields = ["status"]


def _shown(view: generics.GenericAPIView) -> list[Any]:
    """The objects of the page a list view has just answered with (for the audit of list reads)."""
    page = getattr(view.paginator, "page", None)
    return list(page.object_list) if page is not None else []


class PatientListView(StaffView, generics.ListCreateAPIView):
    serializer_class = PatientSerializer
    filterset_class = PatientFilter

    def get_queryset(self) -> QuerySet[Patient]:
        return with_patient_outcomes(Patient.objects.for_user(self.request.user)).order_by("last_name", "pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        record_list_read(request, "patient_list", _shown(self))
        return response

    def perform_create(self, serializer: PatientSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        data.pop("status", None)
        data.pop("version", None)  # a new record starts at version 1
        patient = services.create_patient(by=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=patient.pk)


class PatientDetailView(StaffView, generics.RetrieveUpdateAPIView):
    serializer_class = PatientSerializer
    http_method_names = ["get", "patch", "options"]
    lookup_url_kwarg = "patient_id"

    def get_queryset(self) -> QuerySet[Patient]:
        return with_patient_outcomes(Patient.objects.for_user(self.request.user))

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        patient = self.get_object()
        self.audit_read(patient, "record")
        return Response(self.get_serializer(patient).data)

    @extend_schema(
        responses={
            200: PatientSerializer,
            409: OpenApiResponse(
                description="`version` is older than the record's: someone changed it since it was read. Nothing "
                "was saved; `version` says what changed and who, `current` is the record as it is now."
            ),
        }
    )
    def patch(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        try:
            return self.partial_update(request, *args, **kwargs)
        except services.StaleRecord as exc:
            current = self.get_queryset().get(pk=exc.current.pk)
            return Response(
                {"version": exc.messages, "current": self.get_serializer(current).data}, status=status.HTTP_409_CONFLICT
            )

    def perform_update(self, serializer: PatientSerializer) -> None:  # type: ignore[override]
        data = dict(serializer.validated_data)
        data.pop("clinic", None)
        assert serializer.instance is not None  # an update always has its instance
        patient = services.update_patient(patient=serializer.instance, by=self.request.user, **data)
        serializer.instance = self.get_queryset().get(pk=patient.pk)


class PatientCheckInsView(StaffView, generics.ListAPIView):
    """Check-ins of one patient; POST enters one taken at a clinic visit (week 0 is an intake)."""

    serializer_class = CheckInSerializer
    filterset_class = CheckInFilter

    def get_queryset(self) -> QuerySet[CheckIn]:
        if getattr(self, "swagger_fake_view", False):
            return CheckIn.objects.none()
        patient = self.scoped_patient()
        return (
            CheckIn.objects.for_user(self.request.user)
            .filter(patient=patient)
            .prefetch_related("versions")
            .order_by("-week")
        )

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        self.audit_read(self.scoped_patient(), "checkins")
        return response

    @extend_schema(
        request=CheckInInputSerializer,
        responses={
            201: CheckInSubmittedSerializer,
            200: OpenApiResponse(CheckInSubmittedSerializer, description="Replaced this week's earlier check-in."),
        },
    )
    def post(self, request: Request, patient_id: int) -> Response:
        return _submit_checkin(request, self.scoped_patient(), by=request.user)


class PatientOutcomesView(StaffView):
    serializer_class = OutcomeSerializer

    def get(self, request: Request, patient_id: int) -> Response:
        patient = self.scoped_patient()
        episode = _open_episode(patient)
        self.audit_read(patient, "outcomes")
        return Response(OutcomeSerializer(outcome_data(episode.pk, episode_outcome(episode))).data)


class PatientAssignmentsView(StaffView):
    """Assign a program (opening an episode first if the patient has none)."""

    serializer_class = AssignmentInputSerializer

    @extend_schema(request=AssignmentInputSerializer, responses={201: AssignmentSerializer})
    def post(self, request: Request, patient_id: int) -> Response:
        patient = self.scoped_patient()
        serializer = AssignmentInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        program = Program.objects.for_user(request.user).filter(pk=data["program"]).first()
        if program is None:
            raise exceptions.ValidationError({"program": "No such program."})
        assignment = services.assign_program_to_patient(
            patient=patient,
            program=program,
            start_date=data["start_date"],
            goals=data["goals"],
            alongside=data["change"] == "alongside",
            by=request.user,
        )
        assignment.item_count = assignment.items.count()  # type: ignore[attr-defined]
        assignment.replaced_ids = list(  # type: ignore[attr-defined]
            assignment.episode.assignments.filter(ended_on=assignment.start_date)
            .exclude(pk=assignment.pk)
            .values_list("pk", flat=True)
        )
        return Response(AssignmentSerializer(assignment).data, status=status.HTTP_201_CREATED)


class AlertFilter(filters.FilterSet):
    open = TrueOrFalseFilter(field_name="acknowledged_at", lookup_expr="isnull", label="Not yet acknowledged")
    patient = IdFilter(field_name="patient_id")
    week = WeekFilter()

    class Meta:
        model = Alert
        fields = ["kind", "urgent", "week"]


class AlertListView(StaffView, generics.ListAPIView):
    serializer_class = AlertSerializer
    filterset_class = AlertFilter

    def get_queryset(self) -> QuerySet[Alert]:
        return Alert.objects.for_user(self.request.user).select_related("patient").order_by("-raised_at", "-pk")

    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        response = super().list(request, *args, **kwargs)
        record_list_read(request, "alert_list", [alert.patient for alert in _shown(self)])
        return response


class AlertAcknowledgeView(StaffView):
    serializer_class = AlertSerializer

    @extend_schema(
        request=AlertAcknowledgeSerializer,
        responses={200: AlertSerializer, 404: OpenApiResponse(description="Not found.")},
    )
    def post(self, request: Request, alert_id: int) -> Response:
        alert = get_object_or_404(Alert.objects.for_user(request.user).select_related("patient"), pk=alert_id)
        body = AlertAcknowledgeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        alert = services.acknowledge_alert(
            alert=alert, by=request.user, note=body.validated_data["note"], ip_address=client_ip(request)
        )
        return Response(AlertSerializer(alert).data)
