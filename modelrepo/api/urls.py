app_name = "modelrepo-api"
urlpatterns = []
