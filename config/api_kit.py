"""What every /api/ endpoint shares: the error format, its OpenAPI description, the token
security scheme, strict request serializers, and the JSON 404 for unknown API paths."""
import json
import logging
import math
from collections.abc import Mapping

from django.core.exceptions import ObjectDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from django.db.models import ProtectedError, RestrictedError
from django.urls import Resolver404, resolve
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field
from rest_framework import exceptions, serializers, status, viewsets
from rest_framework.decorators import api_view, authentication_classes, permission_classes
from rest_framework.parsers import JSONParser
from rest_framework.views import exception_handler as drf_exception_handler

from .errors import VigilError

logger = logging.getLogger(__name__)


class BadRequest(exceptions.APIException):
    status_code = status.HTTP_400_BAD_REQUEST
    default_code = "invalid"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state of the resource."
    default_code = "conflict"


def _summary(errors, field: str = "") -> list[str]:
    """Flatten DRF's nested errors into "field: message" lines, so `detail` alone names the field."""
    if isinstance(errors, Mapping):
        return [line for name, value in errors.items() for line in _summary(value, _join(field, name))]
    if isinstance(errors, list) and any(isinstance(e, (Mapping, list)) for e in errors):
        return [line for i, item in enumerate(errors) for line in _summary(item, _join(field, i))]
    messages = errors if isinstance(errors, list) else [errors]
    return [f"{field}: {m}" if field else str(m) for m in messages]


def _join(field: str, name) -> str:
    if name in ("non_field_errors", "__all__"):
        return field
    return f"{field}.{name}" if field else str(name)


def _as_api_exception(exc):
    if isinstance(exc, VigilError):
        # A service's refusal: invalid input as the service sees it, or a lost race (409). Views
        # turn the few other conflicts (a delete a policy still needs) and rate limits
        # (verification codes) into 409 and 429 themselves.
        return Conflict(exc.message) if exc.status_code == status.HTTP_409_CONFLICT else BadRequest(exc.message)
    if isinstance(exc, ObjectDoesNotExist):
        # The object was deleted by someone else between the lookup and the change.
        return exceptions.NotFound("No such object; it may just have been deleted.")
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
        return exceptions.ValidationError(detail)
    if isinstance(exc, (ProtectedError, RestrictedError)):
        objects = exc.protected_objects if isinstance(exc, ProtectedError) else exc.restricted_objects
        blocking = sorted({str(obj._meta.verbose_name_plural) for obj in objects})
        return Conflict(f"This cannot be deleted while {', '.join(blocking) or 'other records'} refer to it.")
    if isinstance(exc, IntegrityError):
        # Validation catches the known constraints; this is the race between two writers.
        logger.warning("API request hit an integrity error: %s", exc)
        return Conflict("The change conflicts with existing data; reload and try again.")
    return exc


def exception_handler(exc, context):
    """DRF's handler, with the service layer's errors mapped to HTTP, and every body shaped
    `{"detail": "...", "errors": {...}}` so that clients read one field."""
    exc = _as_api_exception(exc)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, Mapping) and set(data) == {"detail"} and isinstance(data["detail"], str):
        return response
    lines = _summary(data)
    response.data = {"detail": "; ".join(lines) or "Invalid input.", "errors": _as_field_errors(data)}
    return response


def _as_field_errors(data) -> dict:
    if isinstance(data, Mapping):
        return {str(k): v for k, v in data.items()}
    return {"non_field_errors": data if isinstance(data, list) else [str(data)]}


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField(help_text="What went wrong, naming the field or parameter at fault.")
    errors = serializers.DictField(
        required=False, help_text="Validation errors by field name (400 responses only)."
    )


_ERROR_DESCRIPTIONS = {
    400: "Invalid input; `detail` names the field or parameter, `errors` lists every problem.",
    401: "No valid credentials: the token is missing, unknown or revoked.",
    403: "Authenticated, but your role in the team does not allow this (or, signed in with a session "
         "cookie, the CSRF token is missing).",
    404: "No such object, or it belongs to a team you are not a member of.",
    409: "Conflicts with the current state, e.g. someone else acknowledged first.",
    415: "The body is not `application/json`.",
    429: "Too many requests of this kind; `Retry-After` says how many seconds to wait.",
}


def error_responses(*codes: int) -> dict[int, OpenApiResponse]:
    return {code: OpenApiResponse(ErrorSerializer, description=_ERROR_DESCRIPTIONS[code]) for code in codes}


class ApiTokenScheme(OpenApiAuthenticationExtension):
    target_class = "oncall.auth.ApiTokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "A personal API token: `Authorization: Bearer vgl_…` (see /api/v1/tokens/).",
        }


# Strict serializers reject fields they do not know: a typo in a field name must not be
# silently ignored. (A comment, not a docstring: OpenAPI would copy it into every schema.)
class StrictSerializer(serializers.Serializer):
    def to_internal_value(self, data):
        unknown = {}
        if isinstance(data, Mapping):
            known = {name for name, field in self.fields.items() if not field.read_only}
            unknown = {str(key): ["Unknown field."] for key in sorted(data, key=str) if key not in known}
        try:
            value = super().to_internal_value(data)
        except serializers.ValidationError as e:
            raise serializers.ValidationError({**unknown, **e.detail}) if unknown else e
        if unknown:
            raise serializers.ValidationError(unknown)
        return value


class StrictModelSerializer(StrictSerializer, serializers.ModelSerializer):
    pass


class VigilAutoSchema(AutoSchema):
    """Documents that strict request bodies refuse unknown properties."""

    def _map_serializer(self, serializer, direction, bypass_extensions=False):
        schema = super()._map_serializer(serializer, direction, bypass_extensions)
        if direction == "request" and isinstance(serializer, StrictSerializer) and schema.get("type") == "object":
            schema["additionalProperties"] = False
        return schema


def _storable(value) -> bool:
    """PostgreSQL's jsonb refuses NUL characters and has no Infinity; `1e999` parses as one."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, Mapping):
        return all(_storable(k) and _storable(v) for k, v in value.items())
    if isinstance(value, list):
        return all(_storable(v) for v in value)
    return True


@extend_schema_field({"type": "object", "additionalProperties": {}})
class JsonObjectField(serializers.JSONField):
    """A JSON object for a JSONField column, refused with a 400 here rather than by the INSERT."""

    max_length = 64 * 1024

    def to_internal_value(self, data):
        value = super().to_internal_value(data)
        if not isinstance(value, dict):
            self.fail("not_object")
        if not _storable(value):
            self.fail("unstorable")
        if len(json.dumps(value)) > self.max_length:
            self.fail("too_large")
        return value

    default_error_messages = {
        **serializers.JSONField.default_error_messages,
        "not_object": "Must be a JSON object.",
        "unstorable": "Must not contain NUL (\\u0000) characters or non-finite numbers.",
        "too_large": "Must be under 64 KB.",
    }


class JsonParser(JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        try:
            return super().parse(stream, media_type, parser_context)
        except RecursionError:
            # json raises this, not ValueError, for "[[[[…" thousands deep.
            raise exceptions.ParseError("JSON parse error - nested too deeply.") from None


class ApiViewSet(viewsets.GenericViewSet):
    schema = VigilAutoSchema()
    parser_classes = [JsonParser]

    def paginated(self, queryset, serializer_class):
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(serializer_class(page, many=True).data)


# Ids are BigAutoFields. Django turns an out-of-range pk lookup into an empty result, but not a
# foreign-key lookup such as team_id=10**30, which overflows the database driver instead.
MAX_ID = 2**63 - 1


def int_query_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return serializers.IntegerField(min_value=1, max_value=MAX_ID).run_validation(raw)
    except serializers.ValidationError as e:
        raise serializers.ValidationError({name: e.detail}) from None


@extend_schema(exclude=True)
@api_view(["GET", "POST", "PUT", "PATCH", "DELETE"])
@authentication_classes([])
@permission_classes([])
def not_found(request, *args, **kwargs):
    """Unknown /api/ paths answer in JSON like the rest of the API, not with an HTML page."""
    hint = ""
    if not request.path.endswith("/"):
        try:
            if resolve(request.path + "/").func is not not_found:
                hint = f" Did you mean {request.path}/ ?"
        except Resolver404:
            pass
    raise exceptions.NotFound(f"No API endpoint at {request.path}.{hint}")
