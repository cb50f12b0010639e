from django.apps import AppConfig


class ModelrepoConfig(AppConfig):
    name = "modelrepo"
    default_auto_field = "django.db.models.BigAutoField"
    verbose_name = "Model repository"
