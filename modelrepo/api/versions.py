"""API of a record's versions and its current-version pointer: create and edit drafts, make
one current, roll back, and the pointer's history. Thin views, guard clauses first; writes go
through modelrepo.versions, which enforces the domain rules (a released version is immutable,
a yanked one cannot be made current)."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from common.api.schema import responses, uuid_path_parameter
from common.api.serializers import BoundedJSONField, StrictFieldsMixin, choice_error, username
from modelrepo import selectors
from modelrepo import versions as version_services
from modelrepo.api.records import PRODUCT_ID, RecordView
from modelrepo.choices import VersionKind, VersionStatus
from modelrepo.models import CurrentVersionChange, ModelVersion

VERSION_ID = uuid_path_parameter("version_id", "The version's id.")
VERSION_TAGS = ["model versions"]


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
        return version.releaser

    def get_created_by(self, version) -> str | None:
        return username(version.created_by)

    def get_signature_url(self, version) -> str | None:
        if not version.signature:
            return None
        return reverse("modelrepo-api:version_signature",
                       kwargs={"product_id": version.product_id, "version_id": version.pk})

    def get_is_current(self, version) -> bool:
        return version.pk == self.context.get("current_version_id")


class VersionReferenceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    label = serializers.CharField()


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
    metrics = BoundedJSONField(required=False, help_text="A JSON object, e.g. `{\"f1\": 0.91}`.")
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


class VersionView(RecordView):
    """A view of the record's versions: ``version()`` is the one the path names, and a version
    is answered with ``is_current`` saying whether the record's current pointer names it."""

    serializer_class = VersionSerializer

    def version(self, product) -> ModelVersion:
        return selectors.version_get(product=product, version_id=self.kwargs["version_id"])

    def answer_version(self, product, version_id=None, **kwargs):
        """The version as it is now (the path's, or ``version_id``)."""
        version = selectors.version_get(product=product, version_id=version_id or self.kwargs["version_id"])
        return self.answer(version, current_version_id=selectors.current_version_id(product), **kwargs)


class VersionListView(VersionView):
    @extend_schema(
        tags=VERSION_TAGS, summary="List a record's versions (oldest first)", parameters=[PRODUCT_ID],
        responses=responses({200: VersionSerializer(many=True)}, 404),
    )
    def get(self, request, product_id):
        product = self.record()
        return self.answer_page(selectors.version_list(product=product),
                                current_version_id=selectors.current_version_id(product))

    @extend_schema(
        tags=VERSION_TAGS, summary="Create a version",
        description="Creates a `draft` version. `label` is required and unique in the record (400 with "
        "`details.label` otherwise); `commit_sha` is 7 to 64 hex characters; `metrics` a JSON object; "
        "`training_run_id` must name a training run of the same record.",
        parameters=[PRODUCT_ID], request=VersionWriteSerializer,
        responses=responses({201: VersionSerializer}, 400, 403, 404),
    )
    def post(self, request, product_id):
        product = self.editable_record()
        data = self.valid_body(VersionWriteSerializer)
        version = version_services.version_create(actor=request.user, product=product, data=data)
        location = reverse("modelrepo-api:version", kwargs={"product_id": product.pk, "version_id": version.pk})
        return self.answer_version(product, version.pk, code=201, location=location)


class VersionDetailView(VersionView):
    @extend_schema(
        tags=VERSION_TAGS, summary="One version", parameters=[PRODUCT_ID, VERSION_ID],
        responses=responses({200: VersionSerializer}, 404),
    )
    def get(self, request, product_id, version_id):
        return self.answer_version(self.record())

    @extend_schema(
        tags=VERSION_TAGS, summary="Update a draft version",
        description="Send any subset of the fields. A released version is immutable: changing any field answers "
        "409 `version_released`.",
        parameters=[PRODUCT_ID, VERSION_ID], request=VersionWriteSerializer,
        responses=responses({200: VersionSerializer}, 400, 403, 404, 409),
    )
    def patch(self, request, product_id, version_id):
        product = self.editable_record()
        version = self.version(product)
        data = self.valid_body(VersionWriteSerializer, partial=True)
        version_services.version_update(actor=request.user, product=product, version=version, data=data)
        return self.answer_version(product)


class VersionActionView(VersionView):
    """Takes an action on the version through ``service``, with the ``reason`` of a body that
    ``reason_serializer`` checks (none when it is None), and answers the version as it is then."""

    service = None
    reason_serializer = None

    def post(self, request, product_id, version_id):
        product = self.editable_record()
        version = self.version(product)
        kwargs = {}
        if self.reason_serializer is not None:
            kwargs["reason"] = self.valid_body(self.reason_serializer).get("reason", "")
        self.service(actor=request.user, product=product, version=version, **kwargs)
        return self.answer_version(product)


def version_action(summary: str, description: str):
    """The OpenAPI description of a VersionActionView (a body only with a ``reason_serializer``)."""
    def describe(view):
        errors = (400, 403, 404, 409) if view.reason_serializer else (403, 404, 409)
        return extend_schema_view(post=extend_schema(
            tags=VERSION_TAGS, summary=summary, description=description, parameters=[PRODUCT_ID, VERSION_ID],
            request=view.reason_serializer, responses=responses({200: VersionSerializer}, *errors),
        ))(view)
    return describe


@version_action(
    "Make a version the record's current version",
    "Moves the current-version pointer and records the move in the history (with `reason`). "
    "Making the current version current again changes nothing (200). A yanked version answers 409 "
    "`version_yanked`.",
)
class VersionMakeCurrentView(VersionActionView):
    service = staticmethod(version_services.version_make_current)
    reason_serializer = ReasonSerializer


class VersionRollbackView(VersionView):
    @extend_schema(
        tags=VERSION_TAGS, summary="Roll the current version back one step",
        description="Makes current the version that was current before the present one (from the history). "
        "One step: rolling back twice returns to where you started. 409 `no_previous_version` when there is "
        "none, 409 `version_yanked` when it was yanked since. Answers the version now current.",
        parameters=[PRODUCT_ID], request=ReasonSerializer,
        responses=responses({200: VersionSerializer}, 400, 403, 404, 409),
    )
    def post(self, request, product_id):
        product = self.editable_record()
        reason = self.valid_body(ReasonSerializer).get("reason", "")
        version = version_services.version_rollback(actor=request.user, product=product, reason=reason)
        return self.answer_version(product, version.pk)


class VersionHistoryView(RecordView):
    serializer_class = CurrentVersionChangeSerializer

    @extend_schema(
        tags=VERSION_TAGS, summary="History of the current-version pointer (newest first)",
        parameters=[PRODUCT_ID], responses=responses({200: CurrentVersionChangeSerializer(many=True)}, 404),
    )
    def get(self, request, product_id):
        return self.answer_page(selectors.version_history(product=self.record()))
