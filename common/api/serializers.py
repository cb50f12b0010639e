"""Serializer pieces every app's API uses. Serializers check shape only; the services enforce
the domain rules."""

from collections.abc import Mapping

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from common import json_input


class StrictFieldsMixin:
    """Refuses fields the serializer does not accept, naming each one, instead of silently
    dropping them (a misspelt field would otherwise look like a successful update)."""

    default_error_messages = {
        "invalid": "The request body must be a JSON object of fields, not {datatype}.",
    }
    unknown_field_message = "Unknown field; the schema at /api/schema/ lists the accepted fields."
    read_only_field_message = "This field is read-only and cannot be set."

    def validate_empty_values(self, data):
        if data is None:
            raise serializers.ValidationError(
                {"non_field_errors": ["The request body must be a JSON object of fields, not null."]}
            )
        return super().validate_empty_values(data)

    def to_internal_value(self, data):
        if isinstance(data, Mapping):
            errors = {}
            for name in data:
                field = self.fields.get(name)
                if field is None:
                    errors[name] = [self.unknown_field_message]
                elif field.read_only:
                    errors[name] = [self.read_only_field_message]
            if errors:
                raise serializers.ValidationError(errors)
        return super().to_internal_value(data)


def choice_error(choices) -> str:
    return "“{input}” is not a valid choice; use one of: " + ", ".join(str(c) for c in choices) + "."


def username(user) -> str | None:
    """How the API names a user: the username, or null when there is none."""
    return user.get_username() if user is not None else None


class StrictIntegerField(serializers.IntegerField):
    """A JSON number that is a whole number: not a string of digits, not true or false."""

    default_error_messages = {"strict": "Send a whole number (a JSON number, not a string or a boolean)."}

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            self.fail("strict")
        return super().to_internal_value(data)


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false, nothing that merely looks like one ("yes", 1, "true")."""

    default_error_messages = {"strict": "Send true or false (a JSON boolean)."}

    def to_internal_value(self, data):
        if not isinstance(data, bool):
            self.fail("strict")
        return data


class BoundedJSONField(serializers.JSONField):
    """JSON to be stored: bounded in depth, free of characters the database refuses
    (``common.json_input``)."""

    def to_internal_value(self, data):
        problem = json_input.problem(data)
        if problem:
            raise serializers.ValidationError(problem)
        return super().to_internal_value(data)


@extend_schema_field({"type": "object", "additionalProperties": True, "nullable": True})
class JSONObjectField(BoundedJSONField):
    """A JSON object (the model validator refuses other JSON values), bounded like any stored JSON."""
