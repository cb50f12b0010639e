"""Logins, logouts and failed logins go into the audit log (Django's auth signals; the login
and logout views are Django's own); every audited write that can change a quality check's
outcome schedules the product's checks."""

from django.contrib.auth import get_user_model
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from catalog import audit
from governance import quality


def _over_http(request) -> bool:
    # Sessions opened outside an HTTP request (the test client's force_login, a shell) carry
    # no credentials check, so they are not authentication events.
    return request is not None and getattr(request, "method", None) is not None


@receiver(user_logged_in, dispatch_uid="governance.audit_login")
def audit_login(sender, request, user, **kwargs):
    if _over_http(request):
        audit.record_authentication(user=user, action="user.logged_in")


@receiver(user_logged_out, dispatch_uid="governance.audit_logout")
def audit_logout(sender, request, user, **kwargs):
    if _over_http(request) and user is not None and user.is_authenticated:
        audit.record_authentication(user=user, action="user.logged_out")


@receiver(user_login_failed, dispatch_uid="governance.audit_login_failed")
def audit_login_failed(sender, credentials, request=None, **kwargs):
    username = str(credentials.get(get_user_model().USERNAME_FIELD) or credentials.get("username") or "")[:150]
    User = get_user_model()
    user = User._default_manager.filter(**{User.USERNAME_FIELD: username}).first() if username else None
    audit.record_authentication(user=user, action="user.login_failed", username=username, as_actor=False)


@receiver(audit.recorded, dispatch_uid="governance.quality_after_change")
def run_checks_after_change(sender, event, target, **kwargs):
    quality.schedule_after(action=event.action, target=target)
