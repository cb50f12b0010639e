"""Metric charts across a record's versions: one SVG line chart per numeric metric with one
point per version that has it, an accessible title and description, a fallback table with
the same values, and user text escaped."""

import math
import re
import xml.etree.ElementTree as ET

from django.template.loader import render_to_string

from modelrepo import charts
from modelrepo.models import ModelVersion

SVG = "{http://www.w3.org/2000/svg}"


def render(product) -> str:
    return render_to_string("modelrepo/_metrics_chart.html", {"metric_charts": charts.metric_charts_for(product)})


def figures(html: str) -> dict:
    """{metric name as shown: figure html}."""
    result = {}
    for block in re.findall(r"<figure.*?</figure>", html, re.S):
        name = re.search(r"<figcaption[^>]*>(.*?)</figcaption>", block, re.S).group(1)
        result[name] = block
    return result


def svg_of(block: str) -> ET.Element:
    return ET.fromstring(re.search(r"<svg.*?</svg>", block, re.S).group(0))


def table_rows(block: str) -> list[tuple[str, str]]:
    body = re.search(r"<tbody>(.*?)</tbody>", block, re.S).group(1)
    return re.findall(r'<th scope="row"[^>]*>(.*?)</th><td[^>]*>(.*?)</td>', body)


def make_versions(product, *metrics_by_label):
    for label, metrics in metrics_by_label:
        ModelVersion.objects.create(product=product, label=label, metrics=metrics)


def test_a_metric_of_three_versions_has_exactly_three_points_and_the_same_three_table_rows(world):
    make_versions(world.record, ("1.0", {"accuracy": 0.8}), ("1.1", {"loss": 0.3}), ("1.2", {"accuracy": 0.85}),
                  ("2.0", {"accuracy": 0.9, "loss": 0.2}))
    block = figures(render(world.record))["accuracy"]
    svg = svg_of(block)
    points = svg.findall(f".//{SVG}circle")
    assert len(points) == 3
    assert [p.find(f"{SVG}title").text for p in points] == ["1.0: 0.8", "1.2: 0.85", "2.0: 0.9"]
    assert table_rows(block) == [("1.0", "0.8"), ("1.2", "0.85"), ("2.0", "0.9")]
    # Higher values sit higher (smaller y), left to right in creation order.
    xs = [float(p.get("cx")) for p in points]
    ys = [float(p.get("cy")) for p in points]
    assert xs == sorted(xs) and ys == sorted(ys, reverse=True)
    assert len(svg.find(f".//{SVG}polyline").get("points").split()) == 3


def test_the_chart_is_labelled_for_assistive_technology(world):
    make_versions(world.record, ("1.0", {"accuracy": 0.8}), ("1.1", {"accuracy": 0.9}))
    svg = svg_of(figures(render(world.record))["accuracy"])
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()
    assert svg.find(f"{SVG}title").get("id") == title_id
    assert svg.find(f"{SVG}title").text == "accuracy across versions"
    desc = svg.find(f"{SVG}desc")
    assert desc.get("id") == desc_id
    assert "from 0.8 at 1.0 to 0.9 at 1.1" in desc.text


def test_the_y_axis_has_min_and_max_ticks_and_the_x_axis_the_version_labels(world):
    make_versions(world.record, ("v1", {"loss": 2.5}), ("v2", {"loss": 0.5}), ("v3", {"loss": 1.0}))
    svg = svg_of(figures(render(world.record))["loss"])
    ticks = [t.text for t in svg.find(f".//{SVG}g[@class='y-ticks']").findall(f"{SVG}text")]
    assert sorted(ticks) == ["0.5", "2.5"]
    labels = [t.text for t in svg.find(f".//{SVG}g[@class='x-labels']").findall(f"{SVG}text")]
    assert labels == ["v1", "v2", "v3"]


def test_versions_are_in_creation_order_not_label_order(world):
    make_versions(world.record, ("10.0", {"f1": 1}), ("2.0", {"f1": 2}))
    assert [label for label, _ in table_rows(figures(render(world.record))["f1"])] == ["10.0", "2.0"]


def test_only_numeric_metrics_are_charted(world):
    make_versions(world.record, ("1", {"accuracy": 0.8, "passed": True, "notes": "ok", "nested": {"a": 1}}),
                  ("2", {"accuracy": "n/a"}))
    charted = charts.metric_charts_for(world.record)
    assert [chart["name"] for chart in charted] == ["accuracy"]
    assert [p["display"] for p in charted[0]["points"]] == ["0.8"]


def test_a_metric_name_with_a_script_tag_is_escaped(world):
    name = "<script>alert('x')</script>"
    make_versions(world.record, ('<b onmouseover="x">1</b>', {name: 1}), ("2", {name: 2}))
    html = render(world.record)
    assert "<script>" not in html
    assert "<b onmouseover" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&lt;b onmouseover=&quot;x&quot;&gt;1&lt;/b&gt;" in html
    svg_of(figures(html)["&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;"])  # still well-formed


def test_one_point_and_a_flat_series_are_drawn_without_a_zero_range(world):
    make_versions(world.record, ("1", {"single": 3, "flat": 0.5}), ("2", {"flat": 0.5}))
    by_name = {chart["name"]: chart for chart in charts.metric_charts_for(world.record)}
    assert len(by_name["single"]["points"]) == 1 and by_name["single"]["line"] == ""
    assert len(by_name["flat"]["y_ticks"]) == 1
    for chart in by_name.values():
        for point in chart["points"]:
            assert math.isfinite(float(point["x"])) and math.isfinite(float(point["y"]))


def test_extreme_values_stay_inside_the_plot(world):
    make_versions(world.record, ("1", {"flops": -1.7e308}), ("2", {"flops": 1.7e308}), ("3", {"flops": 0}))
    chart = charts.metric_charts_for(world.record)[0]
    for point in chart["points"]:
        assert chart["plot_top"] <= float(point["y"]) <= chart["plot_bottom"]


def test_a_record_without_metrics_says_so(world):
    ModelVersion.objects.create(product=world.record, label="1.0")
    html = render(world.record)
    assert "<svg" not in html
    assert "No numeric metrics yet" in html


def test_the_charts_take_one_query(world, django_assert_num_queries):
    make_versions(world.record, *[(str(i), {"a": i, "b": i * 2}) for i in range(20)])
    with django_assert_num_queries(1):
        charts.metric_charts_for(world.record)


def test_element_ids_are_unique_and_follow_the_prefix(world):
    make_versions(world.record, ("1", {"a": 1, "b": 2}))
    built = charts.metric_charts_for(world.record, id_prefix="cmp")
    ids = [chart[key] for chart in built for key in ("id", "title_id", "desc_id")]
    assert len(ids) == len(set(ids)) and all(i.startswith("cmp-") for i in ids)
