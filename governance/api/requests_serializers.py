from rest_framework import serializers

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
        child=serializers.JSONField(allow_null=True), allow_empty=False,
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
