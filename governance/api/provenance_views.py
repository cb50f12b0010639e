"""API view of a version's provenance: thin, like the other version endpoints. The record is
looked up through ``selectors.model_record_get`` (a record the caller cannot view answers 404)
and the answer is ``governance.provenance.version_provenance``."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response

from governance import provenance
from modelrepo import selectors
from governance.api.provenance_serializers import VersionProvenanceSerializer
from modelrepo.api.records import PRODUCT_ID
from modelrepo.api.versions import VERSION_ID, VERSION_TAGS, VersionView
from common.api.schema import responses


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
        context = {"request": request, "current_version_id": data["current_version_id"]}
        return Response(VersionProvenanceSerializer(data, context=context).data)
