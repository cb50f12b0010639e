"""API of a record's artifacts: list, metadata, register an external reference, make one
current, delete. Uploads add artifacts through the uploads app; downloads are in
modelrepo.api.downloads. Writes go through modelrepo.artifacts, which enforces the domain
rules (a released version's files cannot change)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from common.api.schema import responses, uuid_path_parameter
from common.api.serializers import StrictFieldsMixin, choice_error, username
from common.errors import invalid
from modelrepo import artifacts as artifact_services
from modelrepo import rules, selectors
from modelrepo.api.records import PRODUCT_ID, RecordView
from modelrepo.api.versions import ReasonSerializer
from modelrepo.artifacts import MAX_URI_LENGTH, REFERENCE_SCHEMES
from modelrepo.choices import ArtifactKind
from modelrepo.models import Artifact, ModelVersion, TrainingRun

ARTIFACT_ID = uuid_path_parameter("artifact_id", "The artifact's id.")
ARTIFACT_TAGS = ["model artifacts"]


class Sha256Field(serializers.CharField):
    """A SHA-256 in any case, answered in its stored form (``modelrepo.rules``)."""

    def to_internal_value(self, data):
        value = rules.normalise_sha256(super().to_internal_value(data))
        if value is None:
            raise serializers.ValidationError(rules.SHA256_MESSAGE)
        return value


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
        return username(artifact.uploaded_by)

    def get_download_url(self, artifact) -> str:
        path = reverse("modelrepo-api:artifact_download",
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


class ArtifactView(RecordView):
    """A view of the record's artifacts: ``artifact()`` is the active one the path names."""

    serializer_class = ArtifactSerializer

    def artifact(self, product) -> Artifact:
        return selectors.artifact_get(product=product, artifact_id=self.kwargs["artifact_id"])


class ArtifactListView(ArtifactView):
    @extend_schema(
        tags=ARTIFACT_TAGS, summary="List a record's active artifacts (newest first)",
        description="Deleted artifacts never appear. Filters: `kind` (comma-separated), `version_id`, `is_current`.",
        parameters=[PRODUCT_ID, ArtifactListQuerySerializer],
        responses=responses({200: ArtifactSerializer(many=True)}, 400, 404),
    )
    def get(self, request, product_id):
        product = self.record()
        query = ArtifactListQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        return self.answer_page(selectors.artifact_list(product=product, **query.validated_data))


class ArtifactReferenceView(ArtifactView):
    @extend_schema(
        tags=ARTIFACT_TAGS, summary="Register an external artifact",
        description="Records a file stored elsewhere (`upload_status: external`). The server checks the URI's "
        "shape (scheme one of https, http, s3, gs, hf, az, abfs, abfss; no credentials) and never fetches it. "
        "Downloads of an http(s) reference answer 302 to the URI. 409 `version_released` for a released "
        "version, 409 `duplicate_file_name` when the version already has a file of that name.",
        parameters=[PRODUCT_ID], request=ArtifactReferenceSerializer,
        responses=responses({201: ArtifactSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id):
        product = self.editable_record()
        data = dict(self.valid_body(ArtifactReferenceSerializer))
        version = _of_record(ModelVersion, product, data.pop("version_id", None), "version_id", "version")
        training_run = _of_record(TrainingRun, product, data.pop("training_run_id", None), "training_run_id",
                                  "training run")
        artifact = artifact_services.artifact_register_reference(
            actor=request.user, product=product, version=version, training_run=training_run, **data
        )
        location = reverse("modelrepo-api:artifact", kwargs={"product_id": product.pk, "artifact_id": artifact.pk})
        return self.created(selectors.artifact_get(product=product, artifact_id=artifact.pk), location=location)


def _of_record(model, product, pk, field: str, what: str):
    """The record's ``model`` row with id ``pk`` (None when no id is given), or 400 naming ``field``."""
    if pk is None:
        return None
    row = model.objects.filter(product=product, pk=pk).first()
    if row is None:
        raise invalid({field: [f"No {what} with this id exists on this record."]})
    return row


class ArtifactDetailView(ArtifactView):
    @extend_schema(
        tags=ARTIFACT_TAGS, summary="Artifact metadata", parameters=[PRODUCT_ID, ARTIFACT_ID],
        responses=responses({200: ArtifactSerializer}, 404),
    )
    def get(self, request, product_id, artifact_id):
        return self.answer(self.artifact(self.record()))

    @extend_schema(
        tags=ARTIFACT_TAGS, summary="Delete an artifact",
        description="Removes it from the active list (and clears it as current). The row stays for audit and its "
        "bytes are purged after the retention period. Artifacts of a released version answer 409 "
        "`version_released`.",
        parameters=[PRODUCT_ID, ARTIFACT_ID], request=None,
        responses=responses({204: None}, 403, 404, 409),
    )
    def delete(self, request, product_id, artifact_id):
        product = self.editable_record()
        artifact_services.artifact_delete(actor=request.user, product=product, artifact=self.artifact(product))
        return self.no_content()


class ArtifactMakeCurrentView(ArtifactView):
    @extend_schema(
        tags=ARTIFACT_TAGS, summary="Mark an artifact current",
        description="One current artifact per record: the previous one stops being current. Marking the "
        "current artifact again changes nothing. A deleted artifact answers 404.",
        parameters=[PRODUCT_ID, ARTIFACT_ID], request=ReasonSerializer,
        responses=responses({200: ArtifactSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id, artifact_id):
        product = self.editable_record()
        artifact = self.artifact(product)
        reason = self.valid_body(ReasonSerializer).get("reason", "")
        artifact_services.artifact_make_current(actor=request.user, product=product, artifact=artifact, reason=reason)
        return self.answer(self.artifact(product))
