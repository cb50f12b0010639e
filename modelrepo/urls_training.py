"""Pages for training runs and version comparison."""

app_name = "training"

urlpatterns = []
