"""Programs API: the built-in library and the requester's clinics' own programs."""

from __future__ import annotations

import django_filters.rest_framework as filters
from django.db.models import Prefetch, QuerySet
from drf_spectacular.utils import extend_schema
from rest_framework import generics, status
from rest_framework.request import Request
from rest_framework.response import Response

from cft.api import Pagination
from clinics.api_auth import STAFF_AUTHENTICATION, IsStaff
from programs import services
from programs.models import Program, ProgramItem
from programs.serializers import ProgramInputSerializer, ProgramSerializer


class ProgramFilter(filters.FilterSet):
    builtin = filters.BooleanFilter(field_name="clinic", lookup_expr="isnull")
    clinic = filters.NumberFilter(field_name="clinic_id")

    class Meta:
        model = Program
        fields = ["kind"]


class ProgramListView(generics.ListAPIView):
    authentication_classes = STAFF_AUTHENTICATION
    permission_classes = [IsStaff]
    pagination_class = Pagination
    serializer_class = ProgramSerializer
    filterset_class = ProgramFilter

    def get_queryset(self) -> QuerySet[Program]:
        items = ProgramItem.objects.select_related("narrative", "coping_strategy", "graded_activity")
        return (
            Program.objects.for_user(self.request.user)
            .prefetch_related(Prefetch("items", queryset=items))
            .order_by("title", "pk")
        )

    @extend_schema(request=ProgramInputSerializer, responses={201: ProgramSerializer})
    def post(self, request: Request) -> Response:
        serializer = ProgramInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        if "copy_from" in data:
            program = services.copy_program_to_clinic(program=data["copy_from"], clinic=data["clinic"])
        else:
            program = services.create_program(
                clinic=data["clinic"],
                title=data["title"],
                kind=data["kind"],
                description=data["description"],
                weeks=data["weeks"],
                items=data.get("items", []),
                by=request.user,
            )
        return Response(ProgramSerializer(self.get_queryset().get(pk=program.pk)).data, status=status.HTTP_201_CREATED)
