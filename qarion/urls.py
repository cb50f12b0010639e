from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from qarion import handlers, views

urlpatterns = [
    path("", views.home, name="home"),
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    # Product roles and the audit log moved from the governance app to the catalog app.
    re_path(r"^admin/governance/(?P<rest>(productrole|auditevent|auditchainhead)/.*)$",
            RedirectView.as_view(url="/admin/catalog/%(rest)s", permanent=True, query_string=True)),
    path("admin/", admin.site.urls),
    path("health/", include("qarion.health")),
    path("api/v1.0/", include("qarion.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    # Any other address under /api/ answers 404 in the API's error format, also with DEBUG on
    # (where Django would otherwise show its HTML page of URL patterns).
    re_path(r"^api/(?!schema$|docs$)", csrf_exempt(handlers.not_found)),
    path("", include("catalog.urls")),
    path("", include("modelrepo.urls")),
    path("", include("governance.urls")),
]

handler400 = "qarion.handlers.bad_request"
handler404 = "qarion.handlers.not_found"
handler500 = "qarion.handlers.server_error"
