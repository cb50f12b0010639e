app_name = "modelrepo"
urlpatterns = []
