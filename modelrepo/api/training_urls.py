"""API routes for training runs and version comparison."""

app_name = "training-api"

urlpatterns = []
