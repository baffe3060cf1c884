from __future__ import annotations

from typing import Any, cast

from rest_framework import serializers

from cft.api import StrictFieldsMixin, id_field
from clinics.models import Clinic, clinic_ids_for
from programs.models import MAX_PROGRAM_WEEKS, CopingStrategy, GradedActivity, Narrative, Program, ProgramItem

COMPONENT_FIELDS = {"narrative": Narrative, "coping_strategy": CopingStrategy, "graded_activity": GradedActivity}


class ProgramItemSerializer(serializers.ModelSerializer):
    kind = serializers.CharField(read_only=True)
    title = serializers.CharField(source="component.title", read_only=True)

    class Meta:
        model = ProgramItem
        fields = [
            "id",
            "order",
            "kind",
            "title",
            "start_week",
            "end_week",
            "narrative",
            "coping_strategy",
            "graded_activity",
        ]
        read_only_fields = fields


class ProgramSerializer(serializers.ModelSerializer):
    builtin = serializers.SerializerMethodField()
    items = ProgramItemSerializer(many=True, read_only=True)

    class Meta:
        model = Program
        fields = ["id", "clinic", "builtin", "title", "kind", "description", "weeks", "copied_from", "items"]
        read_only_fields = fields

    def get_builtin(self, program: Program) -> bool:
        return program.clinic_id is None


class ProgramItemInputSerializer(StrictFieldsMixin, serializers.Serializer):
    narrative = id_field(required=False)
    coping_strategy = id_field(required=False)
    graded_activity = id_field(required=False)
    start_week = serializers.IntegerField(min_value=1, max_value=MAX_PROGRAM_WEEKS, default=1)
    end_week = serializers.IntegerField(min_value=1, max_value=MAX_PROGRAM_WEEKS, required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        given = [name for name in COMPONENT_FIELDS if attrs.get(name) is not None]
        if len(given) != 1:
            raise serializers.ValidationError(
                {"narrative": "Give exactly one of narrative, coping_strategy or graded_activity."}
            )
        name = given[0]
        user = self.context["request"].user
        component = COMPONENT_FIELDS[name].objects.for_user(user).filter(pk=attrs[name]).first()
        if component is None:
            raise serializers.ValidationError({name: "No such component."})
        return {"component": component, "start_week": attrs["start_week"], "end_week": attrs.get("end_week")}


class ProgramInputSerializer(StrictFieldsMixin, serializers.Serializer):
    """A new program of the clinic: either a copy of a visible program (`copy_from`) or one built here."""

    clinic = serializers.PrimaryKeyRelatedField(queryset=Clinic.objects.none(), pk_field=id_field())
    copy_from = id_field(required=False, help_text="Copy this (built-in) program instead.")
    title = serializers.CharField(required=False, max_length=200)
    kind = serializers.ChoiceField(choices=Program.Kind.choices, default=Program.Kind.CUSTOM)
    description = serializers.CharField(required=False, allow_blank=True, default="")
    weeks = serializers.IntegerField(min_value=1, max_value=MAX_PROGRAM_WEEKS, default=12)
    items = ProgramItemInputSerializer(many=True, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            user = request.user
            ids = Clinic.objects.values_list("pk", flat=True) if user.is_superuser else clinic_ids_for(user)
            cast(serializers.RelatedField, self.fields["clinic"]).queryset = Clinic.objects.filter(pk__in=ids)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "copy_from" in attrs:
            source = Program.objects.for_user(self.context["request"].user).filter(pk=attrs["copy_from"]).first()
            if source is None:
                raise serializers.ValidationError({"copy_from": "No such program."})
            attrs["copy_from"] = source
        elif not attrs.get("title"):
            raise serializers.ValidationError({"title": "Give the program a title (or copy_from a program)."})
        return attrs
