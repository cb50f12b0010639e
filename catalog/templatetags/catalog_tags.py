"""Navigation and rendering helpers shared by every page."""

import markdown as markdown_lib
import nh3
from django import template
from django.utils.safestring import mark_safe

from catalog import access

register = template.Library()

MARKDOWN_EXTENSIONS = ["extra", "sane_lists"]


@register.simple_tag(takes_context=True)
def nav_spaces(context):
    """The spaces whose contents the signed-in user may open, for the navigation bar."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return []
    return access.visible_spaces(user).select_related("organization").order_by("organization__name", "name")


@register.filter(name="markdown")
def render_markdown(text):
    """User markdown as HTML, through a sanitiser: raw HTML, scripts, event handlers and
    javascript: links never reach the page."""
    if not text:
        return ""
    html = markdown_lib.markdown(str(text), extensions=MARKDOWN_EXTENSIONS, output_format="html")
    return mark_safe(nh3.clean(html, link_rel="noopener noreferrer nofollow"))
