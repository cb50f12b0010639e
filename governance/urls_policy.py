from django.urls import path

from governance.views import policy

app_name = "governance_policy"
urlpatterns = [
    path("s/<slug:space_slug>/policy/", policy.space_change_policy, name="space_change_policy"),
]
