"""What every API view shares: one error shape, pagination and the unknown-field rule.

Every error response, whatever raised it (a serializer, a service's django ValidationError, a 404, a
throttle), has the same JSON shape, with each bad field named by its path in the request body:

    {"code": "invalid", "detail": "Some fields need attention.", "fields": {"odi[3]": ["..."], "pain_nrs": ["..."]}}
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, RequestDataTooBig
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import exceptions, parsers, serializers
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle

INVALID_DETAIL = "Some fields need attention."


def _join(prefix: str, key: Any) -> str:
    if isinstance(key, int):
        return f"{prefix}[{key}]"
    return f"{prefix}.{key}" if prefix else str(key)


def flatten_errors(detail: Any, prefix: str = "") -> Iterator[tuple[str, str]]:
    """(path, message) pairs from DRF's nested error structure: {"odi": {3: [...]}} gives ("odi[3]", ...)."""
    if isinstance(detail, Mapping):
        for key, value in detail.items():
            name = api_settings.NON_FIELD_ERRORS_KEY if key == NON_FIELD_ERRORS else key
            yield from flatten_errors(value, _join(prefix, name))
    elif isinstance(detail, (list, tuple)):
        if all(isinstance(item, str) for item in detail):
            for item in detail:
                yield prefix or api_settings.NON_FIELD_ERRORS_KEY, str(item)
        else:
            for index, item in enumerate(detail):
                if item:
                    yield from flatten_errors(item, _join(prefix, index))
    else:
        yield prefix or api_settings.NON_FIELD_ERRORS_KEY, str(detail)


def field_errors(detail: Any) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for path, message in flatten_errors(detail):
        fields.setdefault(path, []).append(message)
    return fields


class RequestTooLarge(exceptions.APIException):
    status_code = 413
    default_code = "too_large"

    def __init__(self) -> None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        super().__init__(f"The request body is too large: the limit is {limit} KiB.")


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler (status codes, headers), then the one error shape. A service's django ValidationError
    is a 400 naming the same fields a serializer would."""
    # Imported here: rest_framework.views reads the API settings, which name this module's parser.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, RequestDataTooBig):
        exc = RequestTooLarge()
    elif isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()  # the same words whatever was looked up: no hint of what exists
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        response.data = {"code": "invalid", "detail": INVALID_DETAIL, "fields": field_errors(exc.detail)}
        return response
    detail = getattr(exc, "detail", None)
    code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
    message = str(detail) if detail is not None else str(exc)
    response.data = {"code": code, "detail": message, "fields": {}}
    return response


STRICT_COMPONENTS: set[str] = set()  # schema components of strict serializers (document_error_responses)


class StrictFieldsMixin:
    """Reject fields the endpoint does not know (or cannot write) instead of silently ignoring them, so a
    misspelt `pain_nrs` is an error rather than a lost answer. The schema says so (`additionalProperties`)."""

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        STRICT_COMPONENTS.add(cls.__name__.removesuffix("Serializer"))

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}  # type: ignore[attr-defined]
            unknown = sorted(set(data) - writable)
            if unknown:
                raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return super().to_internal_value(data)  # type: ignore[misc]


class JSONParser(parsers.JSONParser):
    """DRF's parser, with a body nested too deep for the decoder (100,000 brackets) a 400 like any bad JSON."""

    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            raise exceptions.ParseError("JSON parse error - the document is nested too deeply.") from None


MAX_ID = 2**63 - 1  # the largest id a bigint column holds


def id_field(**kwargs: Any) -> serializers.IntegerField:
    """An id in a request body: a whole number from 1 to MAX_ID, as the schema states (a larger one is a 400
    naming the field, not a query no column can answer)."""
    return serializers.IntegerField(min_value=1, max_value=MAX_ID, **kwargs)


class Pagination(PageNumberPagination):
    """`?page=` from 1 and `?page_size=` from 1 to 200: anything else is a 400 naming the parameter (DRF would
    quietly fall back to the default size), and the schema states both ranges."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def _whole_number(self, request: Any, name: str, maximum: int) -> int | None:
        raw = request.query_params.get(name)
        if raw is None:
            return None
        if not raw.isascii() or not raw.isdigit() or not 1 <= int(raw) <= maximum:
            raise exceptions.ValidationError({name: [f"Give a whole number from 1 to {maximum}."]})
        return int(raw)

    def get_page_size(self, request: Any) -> int:
        return self._whole_number(request, self.page_size_query_param, self.max_page_size) or self.page_size

    def paginate_queryset(self, queryset: Any, request: Any, view: Any = None) -> Any:
        self._whole_number(request, self.page_query_param, MAX_ID)
        return super().paginate_queryset(queryset, request, view)

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            maximum = self.max_page_size if parameter["name"] == self.page_size_query_param else MAX_ID
            parameter["schema"].update({"minimum": 1, "maximum": maximum})
        return parameters


class LoginRateThrottle(AnonRateThrottle):
    """Password and magic-link exchanges: few tries per address, against guessing."""

    scope = "login"
    rate = "10/minute"


ERROR_STATUSES = {
    "400": "Invalid input: `fields` names each bad field by its path in the request.",
    "401": "Not signed in (or the token has expired).",
    "403": "Signed in, but not allowed to do this.",
    "404": "Not found, or not visible to you (the same answer either way).",
    "413": "The request body is too large.",
    "429": "Too many requests: wait and retry.",
}
ERROR_SCHEMA = {
    "type": "object",
    "required": ["code", "detail", "fields"],
    "properties": {
        "code": {"type": "string"},
        "detail": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    },
}


def document_error_responses(result: dict[str, Any], generator: Any, request: Any, public: bool) -> dict[str, Any]:
    """drf-spectacular postprocessing hook: every operation can answer with the one error shape (see the top of
    this module), so the schema says so once here instead of in each view's `extend_schema`."""
    result.setdefault("components", {}).setdefault("schemas", {})["Error"] = ERROR_SCHEMA
    reference = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []):
                # Ids in paths are positive (the URL conf's <int:...> matches no sign) and fit a bigint.
                if parameter.get("in") == "path" and parameter.get("schema", {}).get("type") == "integer":
                    parameter["schema"].update({"minimum": 1, "maximum": MAX_ID})
            responses = operation.setdefault("responses", {})
            for status, description in ERROR_STATUSES.items():
                responses.setdefault(status, {"description": description, "content": reference})
    for name, component in result["components"]["schemas"].items():
        if name.removeprefix("Patched") in STRICT_COMPONENTS:
            component["additionalProperties"] = False  # StrictFieldsMixin refuses unknown fields
    return result
