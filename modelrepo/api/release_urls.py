"""API routes for versions, training runs and artifacts."""

app_name = "modelrepo-release-api"
urlpatterns = []
