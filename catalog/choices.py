from django.db import models


class OrganizationRole(models.TextChoices):
    ORG_ADMIN = "org_admin", "Organization admin"
    MEMBER = "member", "Member"


class SpaceRole(models.TextChoices):
    VIEWER = "viewer", "Viewer"
    MEMBER = "member", "Member"
    EDITOR = "editor", "Editor"
    ADMIN = "admin", "Admin"


class TokenScope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"


class ProductType(models.TextChoices):
    ML_MODEL = "ml_model", "ML Model"
    AI_SYSTEM = "ai_system", "AI System"
    LLM_AGENT = "llm_agent", "LLM Agent"
    AI_APP = "ai_app", "AI App"
    AGENT = "agent", "Agent"
    PROMPT_COLLECTION = "prompt_collection", "Prompt Collection"
    DATASET = "dataset", "File/Dataset"
    TABLE = "table", "Table"
    DATA_STREAM = "data_stream", "Data Stream"
    DASHBOARD = "dashboard", "Dashboard"
    API = "api", "API"
    NOTEBOOK = "notebook", "Notebook"
    OTHER = "other", "Other"


AI_PRODUCT_TYPES = (
    ProductType.ML_MODEL,
    ProductType.AI_SYSTEM,
    ProductType.LLM_AGENT,
    ProductType.AI_APP,
    ProductType.AGENT,
    ProductType.PROMPT_COLLECTION,
)
DATA_PRODUCT_TYPES = tuple(t for t in ProductType if t not in AI_PRODUCT_TYPES)


class Criticality(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"
    CRITICAL = "critical", "Critical"


class Sensitivity(models.TextChoices):
    PUBLIC = "public", "Public"
    INTERNAL = "internal", "Internal"
    CONFIDENTIAL = "confidential", "Confidential"
    RESTRICTED = "restricted", "Restricted"


class ProductRoleName(models.TextChoices):
    OWNER = "owner", "Owner"
    STEWARD = "steward", "Steward"
    CUSTODIAN = "custodian", "Custodian"
    DATA_ARCHITECT = "data_architect", "Data architect"
