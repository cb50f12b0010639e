from django.db import models


class ModelFamily(models.TextChoices):
    TRADITIONAL_ML = "traditional_ml", "Traditional ML"
    GENAI = "genai", "GenAI"
    FOUNDATION_MODEL = "foundation_model", "Foundation model"
    EMBEDDING_MODEL = "embedding_model", "Embedding model"
    AGENT = "agent", "Agent"
    AI_APP = "ai_app", "AI app"
    PROMPT_COLLECTION = "prompt_collection", "Prompt collection"
    OTHER = "other", "Other"


class TaskType(models.TextChoices):
    LLM = "llm", "LLM"
    CLASSIFICATION = "classification", "Classification"
    REGRESSION = "regression", "Regression"
    CLUSTERING = "clustering", "Clustering"
    FORECASTING = "forecasting", "Forecasting"
    EMBEDDING = "embedding", "Embedding"
    RANKING = "ranking", "Ranking"
    ANOMALY_DETECTION = "anomaly_detection", "Anomaly detection"
    RECOMMENDATION = "recommendation", "Recommendation"
    AGENT = "agent", "Agent"
    OTHER = "other", "Other"


class Environment(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    TEST = "test", "Test"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"


class LifecycleStage(models.TextChoices):
    IDEATION = "ideation", "Ideation"
    DESIGN = "design", "Design"
    TRAINING = "training", "Training"
    VALIDATION = "validation", "Validation"
    DEPLOYMENT = "deployment", "Deployment"
    MONITORING = "monitoring", "Monitoring"
    RETIREMENT = "retirement", "Retirement"


class DeploymentStatus(models.TextChoices):
    DEVELOPMENT = "development", "Development"
    STAGING = "staging", "Staging"
    PRODUCTION = "production", "Production"
    RETIRED = "retired", "Retired"


class RiskClassification(models.TextChoices):
    UNCLASSIFIED = "unclassified", "Unclassified"
    UNACCEPTABLE = "unacceptable", "Unacceptable"
    HIGH = "high", "High"
    LIMITED = "limited", "Limited"
    MINIMAL = "minimal", "Minimal"


class OperatorRole(models.TextChoices):
    PROVIDER = "provider", "Provider"
    DEPLOYER = "deployer", "Deployer"
    IMPORTER = "importer", "Importer"
    DISTRIBUTOR = "distributor", "Distributor"
    AUTHORISED_REPRESENTATIVE = "authorised_representative", "Authorised representative"


class AISystemType(models.TextChoices):
    STANDALONE = "standalone", "Standalone"
    SAFETY_COMPONENT = "safety_component", "Safety component"
    PRODUCT_COMPONENT = "product_component", "Product component"
    GPAI_SYSTEM = "gpai_system", "GPAI system"
    OTHER = "other", "Other"


class GPAITier(models.TextChoices):
    STANDARD = "standard", "Standard"
    SYSTEMIC_RISK = "systemic_risk", "Systemic risk"


class VersionKind(models.TextChoices):
    RELEASE = "release", "Release"
    MAJOR = "major", "Major"
    MINOR = "minor", "Minor"
    PATCH = "patch", "Patch"
    MILESTONE = "milestone", "Milestone"
    ALPHA = "alpha", "Alpha"
    BETA = "beta", "Beta"


class VersionStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    RELEASED = "released", "Released"


class ArtifactKind(models.TextChoices):
    MODEL_BINARY = "model_binary", "Model binary"
    WEIGHTS = "weights", "Weights"
    CHECKPOINT = "checkpoint", "Checkpoint"
    ADAPTER = "adapter", "Adapter"
    TOKENIZER = "tokenizer", "Tokenizer"
    PROMPT_BUNDLE = "prompt_bundle", "Prompt bundle"
    EVAL_REPORT = "eval_report", "Evaluation report"
    MODEL_CARD = "model_card", "Model card"
    OTHER = "other", "Other"


class UploadStatus(models.TextChoices):
    COMPLETED = "completed", "Completed"
    EXTERNAL = "external", "External"


class Integrity(models.TextChoices):
    VERIFIED = "verified", "Verified"
    CORRUPTED = "corrupted", "Corrupted"
    MISSING = "missing", "Missing"


class Safety(models.TextChoices):
    NOT_APPLICABLE = "not_applicable", "Not applicable"
    NOT_SCANNED = "not_scanned", "Not scanned"
    SAFE = "safe", "Safe"
    SUSPICIOUS = "suspicious", "Suspicious"
    UNSAFE = "unsafe", "Unsafe"


class DetectedFormat(models.TextChoices):
    SAFETENSORS = "safetensors", "safetensors"
    GGUF = "gguf", "GGUF"
    ONNX = "onnx", "ONNX"
    PYTORCH = "pytorch", "PyTorch"
    PICKLE = "pickle", "Pickle"
    KERAS = "keras", "Keras"
    HDF5 = "hdf5", "HDF5"
    NUMPY = "numpy", "NumPy"
    JOBLIB = "joblib", "joblib"
    ZIP = "zip", "ZIP"
    TAR = "tar", "TAR"
    JSON = "json", "JSON"
    YAML = "yaml", "YAML"
    TEXT = "text", "Text"
    MARKDOWN = "markdown", "Markdown"
    PDF = "pdf", "PDF"
    UNKNOWN = "unknown", "Unknown"
