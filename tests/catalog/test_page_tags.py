"""The layout tags every page shares: data tables, empty states, cards, page headers."""

import pytest
from django.template import Context, Template, TemplateSyntaxError


def render(source, **context):
    return Template("{% load page_tags %}" + source).render(Context(context))


TABLE = """{% datatable items class="token-table" %}
  {% caption %}Tokens of {{ owner }}
  {% head %}<th scope="col">Name</th><th scope="col">Status</th>
  {% row name, status %}<tr><td>{{ name }}</td><td>{{ status }}</td></tr>
  {% empty %}{% empty_state "No tokens yet" %}Create one for {{ owner }}.{% endempty_state %}
{% enddatatable %}"""


def test_a_table_shows_its_caption_header_and_one_row_per_item_escaped():
    html = render(TABLE, items=[("ci", "active"), ("<b>", "revoked")], owner="ann")
    assert 'class="table align-middle mb-0 token-table"' in html
    assert '<caption class="visually-hidden">Tokens of ann</caption>' in html
    assert '<tr><th scope="col">Name</th><th scope="col">Status</th></tr>' in html
    assert "<tr><td>ci</td><td>active</td></tr><tr><td>&lt;b&gt;</td><td>revoked</td></tr>" in html
    assert "No tokens yet" not in html


def test_a_table_without_items_shows_only_its_empty_state():
    html = render(TABLE, items=[], owner="ann")
    assert "<table" not in html
    assert '<h2 class="h5">No tokens yet</h2>' in html and "Create one for ann." in html


def test_a_compact_table_has_no_frame_of_its_own():
    html = render('{% datatable items compact=True %}{% head %}<th>n</th>{% row n %}<tr><td>{{ n }}</td></tr>'
                  '{% enddatatable %}', items=[1])
    assert '<div class="table-responsive">' in html and 'class="table table-sm mb-0 align-middle"' in html


def test_markup_before_the_first_section_of_a_table_is_refused():
    with pytest.raises(TemplateSyntaxError):
        render("{% datatable items %}<p>lost</p>{% head %}{% row n %}{% enddatatable %}", items=[1])


def test_a_card_labels_its_section_with_its_heading():
    html = render('{% card "Files" id="files-heading" class="files" count=2 %}<p>body</p>{% endcard %}')
    assert '<section class="card mb-4 files" aria-labelledby="files-heading">' in html
    assert '<h2 class="h6 mb-0" id="files-heading">Files <span class="text-body-secondary fw-normal">· 2</span>' in html
    assert "<p>body</p>" in html


def test_a_page_header_shows_its_actions_only_when_there_are_some():
    html = render('{% page_header "Runs" %}How it was trained.{% actions %}{% if edit %}<a>New</a>{% endif %}'
                  '{% endpage_header %}', edit=False)
    assert '<h1 class="h3 mb-1 text-break">Runs</h1>' in html and "How it was trained." in html
    assert "gap-2" not in html
