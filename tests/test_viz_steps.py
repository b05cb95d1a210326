"""The backward pass step by step: frames with one fixed layout, a flip-book, and a table.

Seed 000's Example 1 has 13 nodes (5 leaves, the constant 10, 7 op results), so backprop
takes 13 steps, root first: L (upstream 1), z2 - 10 (-6), 10 (6), z2 (-6), b2 (-6),
w2*a1 (-6), a1 (-18), z1 (-18), b1 (-18), w1*x (-18), x (-36), w1 (-18), w2 (-12).
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest

import viz
from autograd import Value
from demo import seed_example

STEP_UPSTREAMS = [1, -6, 6, -6, -6, -6, -18, -18, -18, -18, -36, -18, -12]


def test_one_frame_per_backward_step():
    loss, _ = seed_example()
    frames = viz.draw_steps(loss)
    steps = list(seed_example()[0].backward_steps())
    assert len(frames) == len(steps) == 13


def test_every_frame_has_the_same_layout():
    loss, _ = seed_example()
    loss.backward()
    frames = viz.draw_steps(loss)
    first = frames[0].positions()
    assert len(first) >= 20  # 13 values + 7 ops + the legend (+ 2 invisible corners)
    for frame in frames[1:]:
        assert frame.positions() == first
    # Each frame pins every node where the final layout put it (and renders without dot).
    assert all(frame.engine == "nop2" for frame in frames)
    assert all(re.search(r'n12 \[label=.* pos="[\d.]+,[\d.]+"', f.source) for f in frames)


def test_each_frame_highlights_the_node_whose_gradient_just_became_final():
    loss, _ = seed_example()
    frames = viz.draw_steps(loss)
    order = [step.node for step in seed_example()[0].backward_steps()]
    for k, frame in enumerate(frames):
        highlighted = re.findall(r"^\t(n\d+) \[label=.*class=\"?[\w ]*now", frame.source, re.M)
        assert len(highlighted) == 1
        assert "final now" in frame.source
        assert f"Step {k + 1} of 13" in frame.caption
    assert "the gradient of L is final, 1" in frames[0].caption
    assert "-6 × 3 = -18 to a1" in frames[5].caption  # the step of w2 * a1
    assert len(order) == len(frames)


def test_edges_not_yet_traversed_are_dimmed_and_their_gradient_unknown():
    loss, _ = seed_example()
    frames = viz.draw_steps(loss)
    pending = [len(re.findall(r"class=pending", f.source)) for f in frames]
    # 12 operand edges, each drawn in two halves around its label node, + 7 op -> value edges
    # = 31 edge statements. After step 1 only L's are done: z2 - 10 -> op (two halves) and
    # op -> L, so 31 - 3 = 28 are pending.
    assert pending[0] == 28
    assert pending == sorted(pending, reverse=True)
    assert pending[-1] == 0
    # A pending operand edge still shows its local gradient: "? × local = ?".
    assert 'label="? × 3 = ?"' in frames[0].source
    assert 'label="-6 × 3 = -18"' in frames[5].source
    # Gradients not final yet read "grad ?"; at the end every gradient is known.
    unknown = re.compile(r"<td[^>]*>grad \?</td>")  # a node's row (the legend has one too)
    assert unknown.search(frames[0].source)
    assert not unknown.search(frames[-1].source)


def test_a_branch_shows_its_partial_sum_until_every_term_is_in():
    a = Value(2.0, label="a")
    half = a * 0.5
    half.label = "h"
    out = half + a
    out.label = "out"
    frames = viz.draw_steps(out)
    # Step 1 (out): a receives 1 from out, but not yet 0.5 from h = 0.5 a.
    assert "grad ? = 1 + ..." in frames[0].source
    assert "grad 1.5 = 1 + 0.5" in frames[-1].source


def test_draw_steps_refuses_huge_graphs_unless_asked():
    x = Value(0.5, label="x")
    y = x
    for _ in range(40):
        y = y * 1.0
    with pytest.raises(ValueError, match="max_nodes=None"):
        viz.draw_steps(y, max_nodes=30)


# ---------------------------------------------------------------------------- flip-book


class _Checker(HTMLParser):
    """Parses a page, checking that every element is closed in order."""

    VOID = {"meta", "br", "img", "input", "link", "hr", "source", "col", "area", "base", "wbr"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.frames = 0
        self.svgs_in_frames = 0
        self.remote: list[str] = []
        self.ids: list[str] = []
        self.buttons: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "div" and "frame" in (attributes.get("class") or "").split():
            self.frames += 1
        if tag == "svg" and "div" in self.stack:
            self.svgs_in_frames += 1
        for key in ("src", "href"):
            value = attributes.get(key) or ""
            if value.startswith(("http:", "https:", "//")):
                self.remote.append(value)
        if tag == "link":
            self.remote.append("<link>")
        if "id" in attributes:
            self.ids.append(attributes["id"])
        if tag == "button":
            self.buttons.append(attributes.get("id", ""))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag, attrs):
        pass  # <path .../>: opened and closed at once

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"</{tag}> closes <{self.stack[-1:]}>"
        self.stack.pop()


def test_the_flip_book_is_one_self_contained_html_page(tmp_path):
    loss, _ = seed_example()
    loss.backward()
    path = viz.save_steps(loss, tmp_path / "backward.html")
    page = open(path, encoding="utf-8").read()
    checker = _Checker()
    checker.feed(page)
    checker.close()
    assert checker.stack == []  # every element closed: it parses as HTML
    assert checker.frames == 13 and checker.svgs_in_frames == 13  # every frame inline
    assert checker.remote == []  # no network access
    assert "<script src" not in page
    assert len(checker.ids) == len(set(checker.ids))  # frames' SVG ids made unique
    assert {"prev", "next"} <= set(checker.buttons)
    assert "ArrowLeft" in page and "ArrowRight" in page
    # The numbers of the example are in it, and the steps table below the frames.
    assert "-6 × 3 = -18" in page and 'class="steps"' in page


def test_the_flip_book_can_start_with_the_forward_pass_and_step_0(tmp_path):
    loss, _ = seed_example()
    loss.backward()
    page = open(
        viz.save_steps(loss, tmp_path / "both.html", forward=True, start=True), encoding="utf-8"
    ).read()
    # The forward pass (13 nodes appear), step 0, and the 13 backward steps.
    assert page.count('class="frame"') == 13 + 1 + 13
    assert 'data-key="forward=1"' in page and 'data-key="step=0"' in page


# ---------------------------------------------------------------------------- table


def test_the_backward_table_has_one_row_per_step():
    loss, _ = seed_example()
    table = viz.backward_table(loss)
    assert len(table) == 13
    assert [row.upstream for row in table] == STEP_UPSTREAMS
    assert [row.step for row in table] == list(range(1, 14))
    product = next(row for row in table if row.node == "w2 * a1")
    assert product.op == "*" and product.upstream == -6
    # d(w2 a1)/dw2 = a1 = 2: -6 × 2 = -12;  d(w2 a1)/da1 = w2 = 3: -6 × 3 = -18
    assert [(e.parent, e.local, e.downstream) for e in product.edges] == [
        ("w2", 2.0, -12.0),
        ("a1", 3.0, -18.0),
    ]
    leaf = next(row for row in table if row.node == "w1")
    assert leaf.op == "" and leaf.role == "param" and leaf.edges == ()


def test_the_table_accumulates_a_branch_gradient_row_by_row():
    a = Value(2.0, label="a")
    b = Value(3.0, label="b")
    c = a * b
    c.label = "c"
    out = c + a  # d/da = b + 1 = 4: 1 from out directly, then 3 from c
    out.label = "out"
    table = viz.backward_table(out)
    to_a = [e.accumulated for row in table for e in row.edges if e.parent == "a"]
    assert to_a == [1.0, 4.0]


def test_the_table_prints_as_text_and_as_html():
    loss, _ = seed_example()
    table = viz.backward_table(loss)
    text = str(table)
    lines = text.splitlines()
    assert lines[0].split() == ["step", "node", "op", "upstream", "to", "parent", "local",
                                "downstream", "parent", "grad", "so", "far"]  # fmt: skip
    assert len(lines) == 2 + 13 + 5  # header, rule, 13 steps + 5 extra edge lines
    assert re.search(r"w2 \* a1\s+\*\s+-6\s+w2\s+2\s+-12\s+-12", text)
    html = table._repr_html_()
    assert html.startswith('<table class="steps">') and html.count("<tbody") == 13
    assert 'rowspan="2"' in html


def test_steps_need_a_root_that_records_them():
    class Leafy:
        data = 1.0
        grad = 1.0
        parents = ()
        label = "leafy"
        op = ""

    with pytest.raises(TypeError, match="backward_steps"):
        viz.backward_table(Leafy())


def test_tensor_graphs_have_frames_and_a_table_too():
    import numpy as np

    from autograd import Tensor

    W = Tensor(np.array([[1.0, -2.0]]), requires_grad=True, label="W")
    x = Tensor(np.array([3.0, 1.0]), label="x")  # needs no gradient: no step of its own
    loss = (W @ x).sum()  # W @ x = [3 - 2] = [1]
    loss.label = "loss"
    frames = viz.draw_steps(loss)
    steps = list(loss.backward_steps())  # loss, W @ x, W: three tensors need a gradient
    assert len(frames) == len(steps) == 3
    assert all(f.positions() == frames[0].positions() for f in frames)
    table = viz.backward_table(loss)
    # d(sum)/d(W @ x) = [1]; d(W @ x)/dW = outer([1], x) = [[3, 1]]
    assert str(table).splitlines()[-1].split()[:3] == ["3", "W", "(param)"]
    assert "[[3, 1]]" in str(table)


def test_a_long_table_shows_its_first_steps_and_says_how_many_more():
    x = Value(0.1, label="x")
    y = x
    for _ in range(299):  # 300 nodes: 300 steps
        y = y.tanh()
    table = viz.backward_table(y)
    assert len(table) == 300 and len(table.rows) == 300
    # Printed or shown in a notebook: the first 200 (SHOWN) steps, then one line for the rest.
    assert str(table).splitlines()[-1] == "... and 100 more steps (table.rows has them all)"
    assert table._repr_html_().count("<tbody") == 200 + 1
