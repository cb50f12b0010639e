from django.urls import path

from governance import views_policy as views

app_name = "governance_policy"
urlpatterns = [
    path("s/<slug:space_slug>/policy/", views.space_change_policy, name="space_change_policy"),
]
