from django.db import models


class ProductRoleName(models.TextChoices):
    OWNER = "owner", "Owner"
    STEWARD = "steward", "Steward"
    CUSTODIAN = "custodian", "Custodian"
    DATA_ARCHITECT = "data_architect", "Data architect"
