app_name = "catalog-api"
urlpatterns = []
