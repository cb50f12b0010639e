"""API of a space's change policy: anyone who sees the space reads it (to know which updates
need a change request); space and organization admins change it through the audited service."""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers

from catalog.api.scopes import SpaceView
from common.api.schema import responses
from governance.space_policy import space_change_policy_update
from modelrepo import policy


class SpaceChangePolicySerializer(serializers.Serializer):
    rules = serializers.DictField(child=serializers.BooleanField(),
                                  help_text="Rule name → whether the update it names needs an approved change request.")
    labels = serializers.DictField(child=serializers.CharField(), help_text="Rule name → what the rule governs.")


class SpaceChangePolicyUpdateSerializer(serializers.Serializer):
    rules = serializers.DictField(child=serializers.BooleanField(),
                                  help_text="The rules to set (rule name → true or false); rules not named keep their "
                                  "value. An unknown rule name answers 400.")


class SpaceChangePolicyView(SpaceView):
    serializer_class = SpaceChangePolicySerializer

    def answer_rules(self, rules: dict):
        return self.answer({"rules": rules, "labels": policy.RULE_LABELS})

    @extend_schema(tags=["spaces"], summary="The space's change policy",
                   description="Which updates of a record need an approved change request instead of a direct "
                   "edit (409 `change_request_required`). Creation is never governed. Anyone who sees the space.",
                   responses=responses({200: SpaceChangePolicySerializer}, 404))
    def get(self, request, space_slug):
        return self.answer_rules(policy.rules(self.space()))

    @extend_schema(tags=["spaces"], summary="Turn rules of the space's change policy on or off",
                   description="Space admins and organization admins. Rules not named keep their value; "
                   "one audit event with old → new per changed rule.",
                   request=SpaceChangePolicyUpdateSerializer,
                   responses=responses({200: SpaceChangePolicySerializer}, 400, 403, 404))
    def patch(self, request, space_slug):
        space = self.space()
        rules = self.valid_body(SpaceChangePolicyUpdateSerializer)["rules"]
        return self.answer_rules(space_change_policy_update(actor=request.user, space=space, rules=rules))
