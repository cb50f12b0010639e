from rest_framework import serializers


class SpaceChangePolicySerializer(serializers.Serializer):
    rules = serializers.DictField(child=serializers.BooleanField(),
                                  help_text="Rule name → whether the update it names needs an approved change request.")
    labels = serializers.DictField(child=serializers.CharField(), help_text="Rule name → what the rule governs.")


class SpaceChangePolicyUpdateSerializer(serializers.Serializer):
    rules = serializers.DictField(child=serializers.BooleanField(),
                                  help_text="The rules to set (rule name → true or false); rules not named keep their "
                                  "value. An unknown rule name answers 400.")
