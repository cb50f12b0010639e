"""API of change requests: open one on a product, review it, apply, cancel or submit it. Thin
views over governance.change_requests, which enforces who may do what and when."""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import serializers

from catalog.api.scopes import PRODUCT_ID, ProductView
from common.api.schema import responses, uuid_path_parameter
from common.api.serializers import BoundedJSONField
from common.api.views import ApiView
from governance import change_requests
from governance.models import ChangeRequest, ChangeReview, ReviewDecision


class ProposedChangeSerializer(serializers.Serializer):
    field = serializers.CharField(help_text="A record field, or `current_version`, `current_artifact` or `release_version`.")
    old_value = serializers.JSONField(allow_null=True)
    new_value = serializers.JSONField(allow_null=True)


class DescribedChangeSerializer(ProposedChangeSerializer):
    old_display = serializers.JSONField(allow_null=True, help_text="The old value for people: a version's label, an "
                                        "artifact's file name; a record field's value as it is.")
    new_display = serializers.JSONField(allow_null=True, help_text="The new value for people, like `old_display`.")


class ChangeReviewSerializer(serializers.ModelSerializer):
    reviewer = serializers.CharField(source="reviewer.username", read_only=True)

    class Meta:
        model = ChangeReview
        fields = ["id", "reviewer", "decision", "notes", "created_at"]
        read_only_fields = fields


class ReviewerGroupSerializer(serializers.Serializer):
    group = serializers.CharField()
    label = serializers.CharField()
    stand_in = serializers.BooleanField(help_text="A space admin stands in: the group is empty or holds only the requester.")
    approved_by = serializers.ListField(child=serializers.CharField())
    satisfied = serializers.BooleanField()


class ChangeRequestSerializer(serializers.ModelSerializer):
    product_id = serializers.UUIDField(source="product.pk", read_only=True)
    requester = serializers.CharField(source="requester.username", read_only=True)
    changes = serializers.SerializerMethodField()
    reviews = ChangeReviewSerializer(many=True, read_only=True)
    reviewer_groups = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = ["id", "product_id", "requester", "title", "justification", "status", "changes", "required_groups",
                  "reviewer_groups", "reviews", "created_at", "updated_at", "decided_at", "applied_at"]
        read_only_fields = fields

    def get_changes(self, change_request) -> DescribedChangeSerializer(many=True):
        return DescribedChangeSerializer(change_requests.describe_changes(change_request), many=True).data

    def get_reviewer_groups(self, change_request) -> ReviewerGroupSerializer(many=True):
        return ReviewerGroupSerializer(change_requests.group_state(change_request), many=True).data


class ChangeRequestCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    justification = serializers.CharField()
    changes = serializers.DictField(
        child=BoundedJSONField(allow_null=True), allow_empty=False,
        help_text="Field name → proposed value, e.g. `{\"risk_classification\": \"high\"}`; the old values are taken "
        "from the record now. Besides record fields: `current_version` (a version id of the record, not yanked), "
        "`current_artifact` (an active artifact id of the record, not judged unsafe) and `release_version` (the id of "
        "a draft version to release; its old value is null). Applying the request makes the version or artifact "
        "current, or releases and signs the version, as the direct actions do.")
    submit = serializers.BooleanField(default=True, help_text="False keeps the request as a draft.")


class ChangeReviewCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="",
                                  help_text="Required to reject.")


_CR_ID = uuid_path_parameter("change_request_id", "The change request's id.")


class ProductChangeRequestListView(ProductView):
    serializer_class = ChangeRequestSerializer

    @extend_schema(tags=["change requests"], summary="The product's change requests, newest first",
                   parameters=[PRODUCT_ID], responses=responses({200: ChangeRequestSerializer(many=True)}, 404))
    def get(self, request, product_id):
        change_request_list = change_requests.change_request_list(user=request.user, product=self.product())
        return self.answer_page(change_request_list.prefetch_related("reviews__reviewer"))

    @extend_schema(
        tags=["change requests"], summary="Open a change request",
        description="Space members and above, and any product role. Proposes new values for record fields; the "
        "current values are kept as the old ones. Reviewers are the product's owners and data architects (a space "
        "admin stands in for a group that is empty or holds only the requester).",
        parameters=[PRODUCT_ID], request=ChangeRequestCreateSerializer,
        responses=responses({201: ChangeRequestSerializer}, 400, 403, 404))
    def post(self, request, product_id):
        product = self.product()
        body = self.valid_body(ChangeRequestCreateSerializer)
        return self.created(change_requests.change_request_create(actor=request.user, product=product, **body))


class ChangeRequestView(ApiView):
    """A view of the change request the path names (404 when the caller may not see it)."""

    serializer_class = ChangeRequestSerializer

    def change_request(self) -> ChangeRequest:
        return change_requests.visible_change_request(user=self.request.user,
                                                      change_request_id=self.kwargs["change_request_id"])


class ChangeRequestDetailView(ChangeRequestView):
    @extend_schema(tags=["change requests"], summary="One change request", parameters=[_CR_ID],
                   responses=responses({200: ChangeRequestSerializer}, 404))
    def get(self, request, change_request_id):
        return self.answer(self.change_request())


class ChangeRequestReviewView(ChangeRequestView):
    @extend_schema(
        tags=["change requests"], summary="Approve or reject a change request",
        description="Product owners, data architects and space admins; never the requester. Notes are required to "
        "reject. Any rejection rejects; the request is approved once every reviewer group has approved. 409 "
        "`invalid_state` when it is not pending, `duplicate` when you already reviewed it.",
        parameters=[_CR_ID], request=ChangeReviewCreateSerializer,
        responses=responses({200: ChangeRequestSerializer}, 400, 403, 404, 409))
    def post(self, request, change_request_id):
        change_request = self.change_request()
        body = self.valid_body(ChangeReviewCreateSerializer)
        return self.answer(change_requests.change_request_review(actor=request.user, change_request=change_request,
                                                                 **body))


class _ChangeRequestActionView(ChangeRequestView):
    """Moves the change request on through ``service``; no body."""

    service = None

    def post(self, request, change_request_id):
        return self.answer(self.service(actor=request.user, change_request=self.change_request()))


def _action(summary, description):
    return extend_schema_view(post=extend_schema(
        tags=["change requests"], summary=summary, description=description, parameters=[_CR_ID], request=None,
        responses=responses({200: ChangeRequestSerializer}, 403, 404, 409)))


@_action("Apply an approved change request",
         "The requester or a space admin. Writes every change at once if each field still holds its old value (the "
         "current version or artifact still the old one, a version to release still a draft with the same files); "
         "otherwise the request becomes `stale`, nothing changes and the answer is 409 `stale`. Releases and pointer "
         "moves go through the same code as the direct actions (history, audit, signing); a refusal there (a version "
         "yanked since, pickle-based files the space now forbids) answers its 409 and leaves the request approved.")
class ChangeRequestApplyView(_ChangeRequestActionView):
    service = staticmethod(change_requests.change_request_apply)


@_action("Cancel a change request", "The requester, while it is a draft, pending or approved.")
class ChangeRequestCancelView(_ChangeRequestActionView):
    service = staticmethod(change_requests.change_request_cancel)


@_action("Submit a draft change request for review", "The requester only.")
class ChangeRequestSubmitView(_ChangeRequestActionView):
    service = staticmethod(change_requests.change_request_submit)
