"""API of a space's change policy: anyone who sees the space reads it (to know which updates
need a change request); space and organization admins change it through the audited service."""

from drf_spectacular.utils import extend_schema
from rest_framework.response import Response
from rest_framework.views import APIView

from catalog.api.scopes import visible_space
from modelrepo import policy
from governance.api.policy_serializers import SpaceChangePolicySerializer, SpaceChangePolicyUpdateSerializer
from governance.space_policy import space_change_policy_update
from common.api.schema import QarionAutoSchema, responses


def _body(rules: dict) -> dict:
    return SpaceChangePolicySerializer({"rules": rules, "labels": policy.RULE_LABELS}).data


class SpaceChangePolicyView(APIView):
    schema = QarionAutoSchema()

    @extend_schema(tags=["spaces"], summary="The space's change policy",
                   description="Which updates of a record need an approved change request instead of a direct "
                   "edit (409 `change_request_required`). Creation is never governed. Anyone who sees the space.",
                   responses=responses({200: SpaceChangePolicySerializer}, 404))
    def get(self, request, space_slug):
        return Response(_body(policy.rules(visible_space(request.user, space_slug))))

    @extend_schema(tags=["spaces"], summary="Turn rules of the space's change policy on or off",
                   description="Space admins and organization admins. Rules not named keep their value; "
                   "one audit event with old → new per changed rule.",
                   request=SpaceChangePolicyUpdateSerializer,
                   responses=responses({200: SpaceChangePolicySerializer}, 400, 403, 404))
    def patch(self, request, space_slug):
        space = visible_space(request.user, space_slug)
        body = SpaceChangePolicyUpdateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        rules = space_change_policy_update(actor=request.user, space=space, rules=body.validated_data["rules"])
        return Response(_body(rules))
