from django.apps import AppConfig


class UploadsConfig(AppConfig):
    name = "uploads"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from modelrepo import tabs, training
        from uploads import pages, services

        # An upload in progress that names a training run keeps the run from being deleted.
        training.REFERENCE_COUNTERS["uploads"] = services.open_sessions_naming_run
        tabs.contribute("artifacts", pages.artifacts_tab_context)
