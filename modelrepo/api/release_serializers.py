"""Shapes of versions, the current-version history and artifacts in the API (API.md).
Serializers check shape only; the services in modelrepo.versions and modelrepo.artifacts
enforce the domain rules."""

from django.urls import reverse
from rest_framework import serializers

from common.api.serializers import StrictFieldsMixin, choice_error
from modelrepo import rules
from modelrepo.artifacts import MAX_URI_LENGTH, REFERENCE_SCHEMES
from modelrepo.choices import ArtifactKind, VersionKind, VersionStatus
from modelrepo.models import Artifact, CurrentVersionChange, ModelVersion


def _username(user) -> str | None:
    return user.get_username() if user is not None else None


class Sha256Field(serializers.CharField):
    """A SHA-256 in any case, answered in its stored form (``modelrepo.rules``)."""

    def to_internal_value(self, data):
        value = rules.normalise_sha256(super().to_internal_value(data))
        if value is None:
            raise serializers.ValidationError(rules.SHA256_MESSAGE)
        return value


# --- Versions ----------------------------------------------------------------------------

class VersionSerializer(serializers.ModelSerializer):
    """A model version. ``is_current`` says whether the record's current pointer names it."""

    training_run_id = serializers.UUIDField(read_only=True, allow_null=True)
    status = serializers.ChoiceField(choices=VersionStatus.choices, read_only=True, help_text="`draft` or `released`.")
    released_by = serializers.SerializerMethodField(help_text="Username of who released it.")
    created_by = serializers.SerializerMethodField(help_text="Username of who created it.")
    is_current = serializers.SerializerMethodField()
    signature_url = serializers.SerializerMethodField(help_text="model.sig of a released version; null for drafts.")

    class Meta:
        model = ModelVersion
        fields = (
            "id", "label", "kind", "status", "release_notes", "release_date", "git_tag", "commit_sha", "metrics",
            "training_run_id", "is_current", "released_at", "released_by", "deprecated", "deprecation_reason",
            "yanked", "yank_reason", "signature_key_id", "signed_at", "signature_url", "created_by", "created_at",
            "updated_at",
        )
        read_only_fields = fields

    def get_released_by(self, version) -> str | None:
        return _username(version.released_by)

    def get_created_by(self, version) -> str | None:
        return _username(version.created_by)

    def get_signature_url(self, version) -> str | None:
        if not version.signature:
            return None
        return reverse("modelrepo-release-api:version_signature",
                       kwargs={"product_id": version.product_id, "version_id": version.pk})

    def get_is_current(self, version) -> bool:
        return version.pk == self.context.get("current_version_id")


class VersionWriteSerializer(StrictFieldsMixin, serializers.Serializer):
    """Create takes ``label`` (required, unique in the record) and any other field; PATCH
    takes any subset. A released version's fields cannot change."""

    label = serializers.CharField(max_length=100, help_text="Free-form, unique in the record, e.g. `1.4.0`.")
    kind = serializers.ChoiceField(
        choices=VersionKind.choices, required=False, help_text="Defaults to `release`.",
        error_messages={"invalid_choice": choice_error(VersionKind.values)},
    )
    release_notes = serializers.CharField(required=False, allow_blank=True, max_length=100_000,
                                          trim_whitespace=False, help_text="Markdown.")
    release_date = serializers.DateField(required=False, allow_null=True)
    git_tag = serializers.CharField(required=False, allow_blank=True, max_length=200)
    commit_sha = serializers.CharField(required=False, allow_blank=True, max_length=64,
                                       help_text="7 to 64 hexadecimal characters.")
    metrics = serializers.JSONField(required=False, help_text="A JSON object, e.g. `{\"f1\": 0.91}`.")
    training_run_id = serializers.UUIDField(required=False, allow_null=True,
                                            help_text="A training run of the same record.")

    def validate_metrics(self, value):
        if not isinstance(value, dict):
            raise serializers.ValidationError("Must be a JSON object of metric names to values, such as {\"f1\": 0.91}.")
        return value


class ReasonSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(required=False, allow_blank=True, max_length=2000,
                                   help_text="Why; kept in the history and the audit log.")


class CurrentVersionChangeSerializer(serializers.ModelSerializer):
    """One move of the current-version pointer. Labels are snapshots: they survive a
    version's later relabelling."""

    from_version_id = serializers.UUIDField(read_only=True, allow_null=True)
    to_version_id = serializers.UUIDField(read_only=True, allow_null=True)
    changed_by = serializers.CharField(source="changed_by_name", read_only=True, help_text="Username.")

    class Meta:
        model = CurrentVersionChange
        fields = ("id", "from_version_id", "from_label", "to_version_id", "to_label", "changed_by", "reason",
                  "is_rollback", "created_at")
        read_only_fields = fields


# --- Artifacts ---------------------------------------------------------------------------

class ArtifactStorageSerializer(serializers.Serializer):
    """Where the bytes are: ``{backend, key}`` for stored files, ``{uri}`` for references."""

    backend = serializers.CharField(required=False)
    key = serializers.CharField(required=False)
    uri = serializers.CharField(required=False)


class ArtifactSerializer(serializers.ModelSerializer):
    version_id = serializers.UUIDField(read_only=True, allow_null=True)
    training_run_id = serializers.UUIDField(read_only=True, allow_null=True)
    integrity = serializers.CharField(read_only=True, allow_null=True,
                                      help_text="`verified`, `corrupted`, `missing`, or null when never checked.")
    storage = serializers.SerializerMethodField()
    uploaded_by = serializers.SerializerMethodField(help_text="Username.")
    download_url = serializers.SerializerMethodField()

    class Meta:
        model = Artifact
        fields = (
            "id", "file_name", "content_type", "size_bytes", "sha256", "kind", "version_id", "version_label",
            "training_run_id", "upload_status", "detected_format", "format_details", "is_current", "integrity",
            "last_verified_at", "safety", "storage", "uploaded_by", "created_at", "updated_at", "download_url",
        )
        read_only_fields = fields

    def to_representation(self, artifact):
        data = super().to_representation(artifact)
        data["integrity"] = data["integrity"] or None
        return data

    def get_storage(self, artifact) -> ArtifactStorageSerializer:
        if artifact.external_uri:
            return {"uri": artifact.external_uri}
        return {"backend": artifact.storage_backend, "key": artifact.storage_key}

    def get_uploaded_by(self, artifact) -> str | None:
        return _username(artifact.uploaded_by)

    def get_download_url(self, artifact) -> str:
        path = reverse("modelrepo-release-api:artifact_download",
                       kwargs={"product_id": artifact.product_id, "artifact_id": artifact.pk})
        request = self.context.get("request")
        return request.build_absolute_uri(path) if request is not None else path


class ArtifactReferenceSerializer(StrictFieldsMixin, serializers.Serializer):
    """An artifact stored elsewhere. The server records the URI and never fetches it."""

    file_name = serializers.CharField(max_length=255, help_text="No path separators or control characters.")
    uri = serializers.CharField(max_length=MAX_URI_LENGTH,
                                help_text="Absolute URI; scheme one of: " + ", ".join(REFERENCE_SCHEMES) + ".")
    size_bytes = serializers.IntegerField(min_value=1)
    sha256 = Sha256Field()
    kind = serializers.ChoiceField(choices=ArtifactKind.choices, required=False, default=ArtifactKind.OTHER,
                                   error_messages={"invalid_choice": choice_error(ArtifactKind.values)})
    content_type = serializers.CharField(max_length=255, required=False, default="application/octet-stream")
    version_id = serializers.UUIDField(required=False, allow_null=True, help_text="A draft version of the record.")
    training_run_id = serializers.UUIDField(required=False, allow_null=True)
    make_current = serializers.BooleanField(required=False, default=False)


class CommaSeparatedKinds(serializers.CharField):
    def to_internal_value(self, data):
        kinds = [k.strip() for k in super().to_internal_value(data).split(",") if k.strip()]
        unknown = [k for k in kinds if k not in ArtifactKind.values]
        if unknown:
            raise serializers.ValidationError(
                f"Unknown kind {unknown[0]}; use one of: " + ", ".join(ArtifactKind.values) + "."
            )
        return kinds


class ArtifactListQuerySerializer(serializers.Serializer):
    """Query parameters of the artifact list."""

    kind = CommaSeparatedKinds(required=False, help_text="One or more kinds, comma-separated.")
    version_id = serializers.UUIDField(required=False)
    is_current = serializers.BooleanField(required=False, allow_null=True, default=None)


# --- Release -------------------------------------------------------------------------------

class RequiredReasonSerializer(StrictFieldsMixin, serializers.Serializer):
    reason = serializers.CharField(max_length=2000, help_text="Why; shown with the version and kept in the audit log.")


class VerifyFileSerializer(serializers.Serializer):
    name = serializers.CharField()
    expected_sha256 = serializers.CharField(allow_null=True)
    actual_sha256 = serializers.CharField(allow_null=True)
    status = serializers.ChoiceField(choices=["ok", "mismatch", "missing", "unsigned"])


class VerifySignatureSerializer(serializers.Serializer):
    valid = serializers.BooleanField()
    key_id = serializers.CharField(help_text="sha256 of the PEM of the public key that signed it.")
    model_name = serializers.CharField(required=False)
    message = serializers.CharField()


class VerifyReportSerializer(serializers.Serializer):
    """The stored files of a released version re-checked against its signed manifest."""

    valid = serializers.BooleanField()
    signature = VerifySignatureSerializer()
    files = VerifyFileSerializer(many=True)
