"""Layout pieces every page shares, so their markup lives in one template each: a data table
(frame, caption, header, rows, pagination, what to show when there are no rows), the empty
state of a list, a titled card section, a page's header, and a form's submit and cancel buttons.

    {% datatable page_obj.object_list class="activity-table" paginate=True %}
      {% caption %}Activity of {{ product.name }}, newest first
      {% head %}<th scope="col">When</th><th scope="col">Who</th>
      {% row event %}<tr><td>…</td></tr>
      {% empty %}{% empty_state "No activity yet" %}Every change is recorded here.{% endempty_state %}
    {% enddatatable %}

A table stands on its own in a card, or with ``compact=True`` inside a card section (small,
no frame of its own). ``frame`` adds classes to the frame around the table."""

from django import template
from django.template.base import TextNode, token_kwargs
from django.utils.safestring import mark_safe

register = template.Library()

TABLE_TEMPLATE = "includes/table.html"
EMPTY_STATE_TEMPLATE = "includes/empty_state.html"
CARD_TEMPLATE = "includes/card.html"
PAGE_HEADER_TEMPLATE = "includes/page_header.html"


def _render(context, name: str, **values) -> str:
    # In the page's own context (as {% include %} does), so the pagination sees the request and page.
    piece = context.template.engine.get_template(name)
    with context.render_context.push_state(piece), context.push(**values):
        return piece.render(context)


def _stripped(nodelist, context) -> str:
    # Rendered (and so escaped) markup stays safe without the white space around it.
    return mark_safe(nodelist.render(context).strip()) if nodelist else ""


def _arguments(parser, token, needs: str):
    """(the tag's first argument, its name=value options)."""
    tag, *bits = token.split_contents()
    if not bits:
        raise template.TemplateSyntaxError(f"{tag} needs {needs}")
    first = parser.compile_filter(bits.pop(0))
    options = token_kwargs(bits, parser, support_legacy=False)
    if bits:
        raise template.TemplateSyntaxError(f"{tag} takes name=value options, not {bits!r}")
    return first, options


def _optional_section(parser, name: str, end: str):
    """Where parsing stopped at ``{% name %}`` or ``{% end %}``: the nodes of the ``name``
    section up to ``{% end %}``, or None when there is no such section."""
    if parser.next_token().contents != name:
        return None
    nodelist = parser.parse((end,))
    parser.delete_first_token()
    return nodelist


class DataTableNode(template.Node):
    def __init__(self, items, options, caption, head, row_names, row, empty):
        self.items, self.options = items, options
        self.caption, self.head, self.row_names, self.row, self.empty = caption, head, row_names, row, empty

    def render(self, context):
        items = self.items.resolve(context)
        if not items:
            return self.empty.render(context) if self.empty else ""
        rows = []
        for item in items:
            values = item if len(self.row_names) > 1 else (item,)
            with context.push(**dict(zip(self.row_names, values, strict=True))):
                rows.append(_stripped(self.row, context))
        options = {name: value.resolve(context) for name, value in self.options.items()}
        caption = _stripped(self.caption, context)
        return _render(context, TABLE_TEMPLATE, table=options, caption=caption, head=_stripped(self.head, context),
                       rows=rows)


@register.tag
def datatable(parser, token):
    """``{% datatable items [class=…] [frame=…] [compact=True] [paginate=True] %}``, then
    ``{% caption %}`` (optional), ``{% head %}`` (the header cells), ``{% row name %}`` (one row,
    rendered for each item as ``name``; ``{% row a, b %}`` unpacks it as a for loop does),
    ``{% empty %}`` (optional), ``{% enddatatable %}``."""
    items, options = _arguments(parser, token, "the items to list")
    before = parser.parse(("caption", "head"))
    if any(not isinstance(node, TextNode) or node.s.strip() for node in before):
        raise template.TemplateSyntaxError("datatable: nothing but white space before {% caption %} or {% head %}")
    caption = _optional_section(parser, "caption", "head")
    head = parser.parse(("row",))
    row_names = [name.strip() for name in parser.next_token().contents.removeprefix("row").split(",")]
    if not all(row_names) or any(" " in name for name in row_names):
        raise template.TemplateSyntaxError("{% row %} names each item: {% row version %} or {% row token, status %}")
    row = parser.parse(("empty", "enddatatable"))
    empty = _optional_section(parser, "empty", "enddatatable")
    return DataTableNode(items, options, caption, head, row_names, row, empty)


class PieceNode(template.Node):
    """A titled piece of a page, drawn by its template around the markup between its tags."""

    def __init__(self, name, template_name, title, options, defaults=None, **sections):
        self.name, self.template_name, self.title, self.options = name, template_name, title, options
        self.defaults, self.sections = defaults or {}, sections

    def render(self, context):
        values = {**self.defaults, "title": self.title.resolve(context)}
        values.update((name, value.resolve(context)) for name, value in self.options.items())
        values.update((name, _stripped(nodelist, context)) for name, nodelist in self.sections.items())
        return _render(context, self.template_name, **{self.name: values})


@register.tag
def empty_state(parser, token):
    """``{% empty_state "Title" [spacing="py-4 mb-4"] %}what would be here, and how it gets
    there{% actions %}buttons (optional){% endempty_state %}``: the card a list shows when it
    has nothing to list."""
    title, options = _arguments(parser, token, "a title")
    text = parser.parse(("actions", "endempty_state"))
    actions = _optional_section(parser, "actions", "endempty_state")
    return PieceNode("empty", EMPTY_STATE_TEMPLATE, title, options, {"spacing": "py-5"}, text=text, actions=actions)


@register.tag
def card(parser, token):
    """``{% card "Title" id="heading-id" [class=…] [count=n] [spacing="mt-4"] [anchor=…] %}body
    {% endcard %}``: a section in a card under a small heading (``id`` names the heading, which
    labels the section; ``count`` follows the title; ``anchor`` is the section's own id)."""
    title, options = _arguments(parser, token, "a title")
    body = parser.parse(("endcard",))
    parser.delete_first_token()
    return PieceNode("card", CARD_TEMPLATE, title, options, {"spacing": "mb-4"}, body=body)


@register.tag
def page_header(parser, token):
    """``{% page_header "Title" %}a line on what the page is{% actions %}buttons (optional)
    {% endpage_header %}``: the page's heading, its lead line and its main actions."""
    title, options = _arguments(parser, token, "a title")
    text = parser.parse(("actions", "endpage_header"))
    actions = _optional_section(parser, "actions", "endpage_header")
    return PieceNode("header", PAGE_HEADER_TEMPLATE, title, options, text=text, actions=actions)


@register.inclusion_tag("includes/form_actions.html")
def form_actions(submit, cancel_url):
    """A form's submit button, labelled ``submit``, and the way back to ``cancel_url`` unsaved."""
    return {"submit": submit, "cancel_url": cancel_url}
