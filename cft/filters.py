"""Query parameters of the API's lists (django-filter), as strict as the bodies are (cft.api.StrictFieldsMixin).

Its own module: django-filter's DRF backend imports DRF's views, which read the API settings that name
cft.api, so cft.api cannot import it."""

from __future__ import annotations

from typing import Any

import django_filters
import django_filters.rest_framework as filters
from django import forms
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field
from rest_framework import exceptions

from cft.api import MAX_ID


class WholeNumberFilter(filters.Filter):
    """A query parameter that is a whole number from `minimum` to `maximum`, or a 400 naming it (django-filter's
    NumberFilter takes decimals such as 1e308, which no integer column can be compared with)."""

    field_class = forms.IntegerField
    minimum, maximum = 0, MAX_ID

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, min_value=self.minimum, max_value=self.maximum, **kwargs)


@extend_schema_field({"type": "integer", "minimum": 1, "maximum": MAX_ID})
class IdFilter(WholeNumberFilter):
    """`?patient=<id>`: an id a bigint column can hold."""

    minimum = 1


@extend_schema_field({"type": "integer", "minimum": 0, "maximum": 32767})
class WeekFilter(WholeNumberFilter):
    """`?week_min=`: a program week (week 0 is the intake); the column is a small integer."""

    maximum = 32767


class TrueOrFalseField(forms.NullBooleanField):
    """`true` or `false` (also `True`/`False`/`1`/`0`, as django-filter's widget reads them), else an error:
    django-filter's BooleanFilter reads any other value (`?needs_attention=0.43`) as "not given" and answers the
    unfiltered list."""

    widget = forms.TextInput
    VALUES = {"true": True, "True": True, "1": True, "false": False, "False": False, "0": False}

    # None is "not given", as in Django's NullBooleanField (its stubs say bool).
    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value in (None, ""):
            return None
        if value not in self.VALUES:
            raise forms.ValidationError("Give true or false.", code="invalid")
        return self.VALUES[value]


@extend_schema_field({"type": "boolean"})
class TrueOrFalseFilter(django_filters.BooleanFilter):  # the plain one: the DRF one's widget maps 0.43 to None
    """`?needs_attention=true`: a boolean, or a 400 naming it."""

    field_class = TrueOrFalseField


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, strict as the bodies are (StrictFieldsMixin): a query parameter the list does not know
    (`?stauts=paused`) or one given empty (`?patient=`) is a 400 naming it, never a silently unfiltered list."""

    def filter_queryset(self, request: Any, queryset: Any, view: Any) -> Any:
        filterset = self.get_filterset(request, queryset, view)
        known = set(filterset.form.fields) if filterset is not None else set()
        paginator = getattr(view, "paginator", None)
        if paginator is not None:
            known |= {paginator.page_query_param, paginator.page_size_query_param}
        errors = {}
        for name, values in request.query_params.lists():
            if name not in known:
                errors[name] = ["Unknown parameter."]
            elif any(value == "" for value in values):
                errors[name] = ["Give a value, or leave the parameter out."]
        if errors:
            raise exceptions.ValidationError(errors)
        return super().filter_queryset(request, queryset, view)
