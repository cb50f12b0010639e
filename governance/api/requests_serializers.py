from rest_framework import serializers

from governance import requests
from governance.models import ChangeRequest, ChangeReview, ReviewDecision


class ProposedChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    old_value = serializers.JSONField(allow_null=True)
    new_value = serializers.JSONField(allow_null=True)


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
    changes = ProposedChangeSerializer(many=True, read_only=True)
    reviews = ChangeReviewSerializer(many=True, read_only=True)
    reviewer_groups = serializers.SerializerMethodField()

    class Meta:
        model = ChangeRequest
        fields = ["id", "product_id", "requester", "title", "justification", "status", "changes", "required_groups",
                  "reviewer_groups", "reviews", "created_at", "updated_at", "decided_at", "applied_at"]
        read_only_fields = fields

    def get_reviewer_groups(self, change_request) -> ReviewerGroupSerializer(many=True):
        return ReviewerGroupSerializer(requests.group_state(change_request), many=True).data


class ChangeRequestCreateSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    justification = serializers.CharField()
    changes = serializers.DictField(
        child=serializers.JSONField(allow_null=True), allow_empty=False,
        help_text="Field name → proposed value, e.g. `{\"risk_classification\": \"high\"}`; the old values are taken "
        "from the record now.")
    submit = serializers.BooleanField(default=True, help_text="False keeps the request as a draft.")


class ChangeReviewCreateSerializer(serializers.Serializer):
    decision = serializers.ChoiceField(choices=ReviewDecision.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="",
                                  help_text="Required to reject.")
