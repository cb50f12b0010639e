from django import template

from catalog import access, health
from catalog.models import QualitySeverity
from governance import quality

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
