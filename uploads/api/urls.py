app_name = "uploads-api"
urlpatterns = []
