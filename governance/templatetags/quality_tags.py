from django import template

from catalog import health

from catalog import access
from governance import quality
from catalog.models import QualitySeverity

register = template.Library()


@register.inclusion_tag("governance/quality/health_panel.html", takes_context=True)
def health_panel(context, product):
    """The health score, the failing checks with what to do, and every check of ``product``."""
    user = context["request"].user
    return {
        "request": context["request"],
        "csrf_token": context.get("csrf_token"),
        "product": product,
        "health": health.health_score(product),
        "failing": quality.failing_checks(product),
        "checks": quality.check_list(product=product),
        "can_edit": access.can(user, access.EDIT, product),
        "severity_choices": QualitySeverity.choices,
    }
