from django.urls import path

from governance import views

app_name = "governance"
urlpatterns = [
    path("s/<slug:space_slug>/audit/", views.space_audit, name="space_audit"),
    path("o/<slug:org_slug>/audit/", views.organization_audit, name="organization_audit"),
]
