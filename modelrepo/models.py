from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models

from catalog.models import Product
from modelrepo.choices import (
    AISystemType,
    DeploymentStatus,
    Environment,
    GPAITier,
    LifecycleStage,
    ModelFamily,
    OperatorRole,
    RiskClassification,
    TaskType,
)

# The field groups of DOMAIN.md, used by the detail page and the forms to lay fields out.
FIELD_GROUPS = {
    "Classification": ["model_family", "task_type", "architecture", "framework", "intended_use", "limitations"],
    "Operations": ["environment", "lifecycle_stage", "deployment_status", "serving_url"],
    "Risk": ["risk_classification", "risk_rationale", "operator_role", "ai_system_type", "is_gpai", "gpai_tier"],
    "GPAI duties": [
        "training_compute_flops",
        "training_data_summary",
        "copyright_policy_url",
        "acceptable_use_policy_url",
        "downstream_obligations_doc",
        "open_source_license",
    ],
    "Schema": ["input_schema", "output_schema"],
    "Vendor": ["vendor", "vendor_product", "vendor_model_id", "deployment_environment", "business_use_case"],
}


def validate_json_object(value):
    if value is not None and not isinstance(value, dict):
        raise ValidationError("Must be a JSON object, such as {\"type\": \"object\"}.", code="not_an_object")


class ModelDetails(models.Model):
    """The model repository record of one AI/ML product (one-to-one)."""

    product = models.OneToOneField(Product, on_delete=models.CASCADE, primary_key=True, related_name="model_details")

    model_family = models.CharField(max_length=32, choices=ModelFamily.choices, default=ModelFamily.TRADITIONAL_ML)
    task_type = models.CharField(max_length=32, choices=TaskType.choices, blank=True)
    architecture = models.CharField(max_length=200, blank=True)
    framework = models.CharField(max_length=200, blank=True)
    intended_use = models.TextField(blank=True)
    limitations = models.TextField(blank=True)

    environment = models.CharField(max_length=16, choices=Environment.choices, blank=True)
    lifecycle_stage = models.CharField(max_length=16, choices=LifecycleStage.choices, default=LifecycleStage.IDEATION)
    deployment_status = models.CharField(
        max_length=16, choices=DeploymentStatus.choices, default=DeploymentStatus.DEVELOPMENT
    )
    serving_url = models.URLField(max_length=500, blank=True)

    risk_classification = models.CharField(
        max_length=16, choices=RiskClassification.choices, default=RiskClassification.UNCLASSIFIED
    )
    risk_rationale = models.TextField(blank=True)
    operator_role = models.CharField(max_length=32, choices=OperatorRole.choices, blank=True)
    ai_system_type = models.CharField(max_length=32, choices=AISystemType.choices, blank=True)
    is_gpai = models.BooleanField(default=False)
    gpai_tier = models.CharField(max_length=16, choices=GPAITier.choices, blank=True)

    # A float: 10^25 FLOP overflows a 64-bit integer.
    training_compute_flops = models.FloatField(null=True, blank=True, validators=[MinValueValidator(0)])
    training_data_summary = models.TextField(blank=True)
    copyright_policy_url = models.URLField(max_length=500, blank=True)
    acceptable_use_policy_url = models.URLField(max_length=500, blank=True)
    downstream_obligations_doc = models.TextField(blank=True)
    open_source_license = models.CharField(max_length=100, blank=True)

    input_schema = models.JSONField(null=True, blank=True, validators=[validate_json_object])
    output_schema = models.JSONField(null=True, blank=True, validators=[validate_json_object])

    vendor = models.CharField(max_length=200, blank=True)
    vendor_product = models.CharField(max_length=200, blank=True)
    vendor_model_id = models.CharField(max_length=200, blank=True)
    deployment_environment = models.CharField(max_length=200, blank=True)
    business_use_case = models.TextField(blank=True)

    class Meta:
        verbose_name = "model details"
        verbose_name_plural = "model details"
        indexes = [
            models.Index(fields=["model_family"]),
            models.Index(fields=["deployment_status"]),
            models.Index(fields=["risk_classification"]),
        ]

    def __str__(self):
        return f"Model details of {self.product}"

    def clean(self):
        if self.gpai_tier and not self.is_gpai:
            raise ValidationError({"gpai_tier": "A GPAI tier applies only to general-purpose AI models; set is_gpai first."})
