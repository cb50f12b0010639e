"""API of a version's provenance (``governance.provenance.version_provenance``): thin, like the
other version endpoints (a record the caller cannot view answers 404). Its shape is built from
the serializers the version, artifact, training, lineage and change-request endpoints already
use, so one object looks the same everywhere."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from catalog.api.lineage import LineageNodeSerializer
from common.api.schema import responses
from governance import provenance
from governance.api.change_requests import ChangeReviewSerializer, ProposedChangeSerializer
from governance.provenance import APPROVAL_LABELS
from modelrepo.api.artifacts import ArtifactSerializer
from modelrepo.api.compare import ArtifactCountsSerializer, RunSideSerializer
from modelrepo.api.records import PRODUCT_ID
from modelrepo.api.training import DatasetProductSerializer
from modelrepo.api.versions import (
    VERSION_ID,
    VERSION_TAGS,
    CurrentVersionChangeSerializer,
    VersionReferenceSerializer,
    VersionSerializer,
    VersionView,
)


class ProvenanceDatasetSerializer(DatasetProductSerializer):
    url = serializers.CharField(allow_null=True, help_text="The product's page; null when redacted.")


class ProvenanceTrainingRunSerializer(RunSideSerializer):
    dataset_products = ProvenanceDatasetSerializer(many=True, help_text="Catalog products it was trained on.")
    dataset_uris = serializers.ListField(child=serializers.CharField())
    url = serializers.CharField(help_text="The run's page.")
    api_url = serializers.CharField(help_text="The run in the API.")


class ProvenanceSourceSerializer(serializers.Serializer):
    git_tag = serializers.CharField()
    commit_sha = serializers.CharField()


class ProvenanceApprovedChangeSerializer(ProposedChangeSerializer):
    approves = serializers.ChoiceField(
        choices=list(APPROVAL_LABELS),
        help_text="`release` (a `release_version` change naming this version), `current` (a `current_version` "
        "change naming it) or `production` (`deployment_status` → `production` applied while it was current).")
    approves_label = serializers.CharField()


class ProvenanceChangeRequestSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    requester = serializers.CharField(help_text="Username.")
    applied_by = serializers.CharField(allow_null=True, help_text="Username.")
    applied_at = serializers.DateTimeField(allow_null=True)
    approves = serializers.ListField(child=serializers.ChoiceField(choices=list(APPROVAL_LABELS)))
    approved = ProvenanceApprovedChangeSerializer(many=True, help_text="The changes of the request that concern "
                                                  "this version.")
    reviews = ChangeReviewSerializer(many=True)
    url = serializers.CharField(help_text="The request's page.")
    api_url = serializers.CharField(help_text="The request in the API.")


class ProvenanceEventSerializer(serializers.Serializer):
    """The audit event that records an action (the activity tab and /audit/events show it)."""

    id = serializers.UUIDField()
    sequence = serializers.IntegerField(help_text="Its place in the organization's audit chain.")
    actor = serializers.CharField(help_text="Username at the time.")
    created_at = serializers.DateTimeField()


class ProvenanceReleaseSerializer(serializers.Serializer):
    released = serializers.BooleanField()
    released_at = serializers.DateTimeField(allow_null=True)
    released_by = serializers.CharField(allow_null=True, help_text="Username.")
    release_date = serializers.DateField(allow_null=True, help_text="The release date given with the version.")
    event = ProvenanceEventSerializer(allow_null=True)


class ProvenanceFlagSerializer(serializers.Serializer):
    flagged = serializers.BooleanField()
    reason = serializers.CharField()
    event = ProvenanceEventSerializer(allow_null=True, help_text="Who set it and when; null when not set.")


class ProvenanceIntegritySerializer(serializers.Serializer):
    """The stored integrity checks of the version's uploaded files (the scrubbing task's last
    result per file). The on-demand verification (`.../verify`) is not stored."""

    file_count = serializers.IntegerField()
    verified = serializers.IntegerField()
    corrupted = serializers.IntegerField()
    missing = serializers.IntegerField()
    unchecked = serializers.IntegerField()
    last_checked_at = serializers.DateTimeField(allow_null=True)


class ProvenanceSignatureSerializer(serializers.Serializer):
    signed = serializers.BooleanField()
    key_id = serializers.CharField(allow_null=True, help_text="SHA-256 of the PEM of the public key that signed it.")
    signed_at = serializers.DateTimeField(allow_null=True)
    key_is_current = serializers.BooleanField(help_text="Signed by the key that signs new releases.")
    key_is_trusted = serializers.BooleanField(help_text="This server can verify it (current or trusted key).")
    url = serializers.CharField(allow_null=True, help_text="model.sig; null when not signed.")
    public_key_url = serializers.CharField()
    integrity = ProvenanceIntegritySerializer()


class ProvenanceVersionLinkSerializer(VersionReferenceSerializer):
    url = serializers.CharField(help_text="The version's page.")


class ProvenanceComparisonSerializer(serializers.Serializer):
    url = serializers.CharField(help_text="The comparison page (a = previous version, b = this one).")
    api_url = serializers.CharField(help_text="The same comparison in the API.")
    changed_fields = serializers.ListField(child=serializers.CharField(),
                                           help_text="Labels of the version fields that differ.")
    metric_count = serializers.IntegerField()
    changed_metric_count = serializers.IntegerField()
    artifact_counts = ArtifactCountsSerializer(help_text="Files matched by name.")
    same_training_run = serializers.BooleanField()


class VersionProvenanceSerializer(serializers.Serializer):
    """Where a version comes from and who let it through. Catalog products you cannot view
    (training datasets, upstream lineage) are redacted: no id, name, type or space."""

    version = VersionSerializer()
    is_current = serializers.BooleanField()
    artifacts = ArtifactSerializer(many=True, help_text="The version's active artifacts, by file name.")
    source = ProvenanceSourceSerializer()
    training_run = ProvenanceTrainingRunSerializer(allow_null=True)
    upstream = LineageNodeSerializer(many=True, help_text="The record's direct sources in the lineage.")
    change_requests = ProvenanceChangeRequestSerializer(
        many=True, help_text="Applied change requests that approved its release, its move to current, or the "
        "record's move to production while it was current; oldest first.")
    release = ProvenanceReleaseSerializer()
    deprecation = ProvenanceFlagSerializer()
    yank = ProvenanceFlagSerializer()
    signature = ProvenanceSignatureSerializer()
    current_version_history = CurrentVersionChangeSerializer(many=True, help_text="Moves of the current pointer to "
                                                             "or from this version, newest first.")
    previous_version = ProvenanceVersionLinkSerializer(allow_null=True, help_text="Created just before it.")
    next_version = ProvenanceVersionLinkSerializer(allow_null=True, help_text="Created just after it.")
    comparison = ProvenanceComparisonSerializer(allow_null=True, help_text="With the previous version; null for "
                                                "the first version.")


class VersionProvenanceView(VersionView):
    serializer_class = VersionProvenanceSerializer

    @extend_schema(
        tags=VERSION_TAGS, summary="A version's provenance",
        description="The answers to an auditor's questions about one version: its fields and artifacts; the "
        "training run with its datasets and the record's direct upstream lineage (products you cannot view are "
        "redacted: no id, name, type or space); the commit; the applied change requests that approved its "
        "release, its move to current or the record's move to production while it was current, with their "
        "reviews; who released, deprecated or yanked it and when (with the audit event); its signature and the "
        "stored integrity checks of its files; the moves of the current pointer to or from it; and the previous "
        "version with a summary of the differences and the comparison's links.",
        parameters=[PRODUCT_ID, VERSION_ID],
        responses=responses({200: VersionProvenanceSerializer}, 404),
    )
    def get(self, request, product_id, version_id):
        product = self.record()
        version = self.version(product)
        data = provenance.version_provenance(user=request.user, product=product, version=version)
        return self.answer(data, current_version_id=data["current_version_id"])
