"""The stepper: forward frames, step 0, backward steps; buttons, play/pause, #step=N.

The page's script is run under Node with a minimal stand-in for the browser's document
(the few calls the script makes), so the tests check what a reader sees after a click:
which frame is current, which table row is lit, and the address bar's fragment.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess

import pytest

import viz
from demo import seed_example

FAKE_DOM = r"""
function El(attrs) {
  this.attrs = attrs || {}; this.classes = new Set(); this.handlers = {}; this.textContent = "";
  var self = this;
  this.classList = {
    add: function (c) { self.classes.add(c); },
    remove: function (c) { self.classes.delete(c); },
    toggle: function (c, on) { if (on) self.classes.add(c); else self.classes.delete(c); },
  };
}
El.prototype.getAttribute = function (k) { return this.attrs[k]; };
El.prototype.setAttribute = function (k, v) { this.attrs[k] = v; };
El.prototype.addEventListener = function (e, f) { this.handlers[e] = f; };
El.prototype.click = function () { this.handlers.click(); };
var DATA = JSON.parse(process.argv[1]);
var frames = DATA.keys.map(function (k) { return new El({"data-key": k, "data-title": k}); });
var rows = DATA.rows.map(function (r) { return new El({"data-step": String(r)}); });
var counter = new El();
var buttons = {prev: new El(), next: new El(), play: new El()};
var root = new El();
root.querySelectorAll = function (q) { return q === "div.frame" ? frames : rows; };
root.querySelector = function () { return counter; };
var timers = [];
global.setInterval = function (f) { timers.push(f); return timers.length; };
global.clearInterval = function (id) { timers[id - 1] = null; };
var fragment = DATA.hash;
global.window = {
  location: { get hash() { return fragment; } },
  history: { replaceState: function (a, b, url) { fragment = url; } },
  addEventListener: function () {},
};
global.document = {
  getElementById: function (id) {
    if (id.endsWith("stepper")) return root;
    return buttons[id.replace(/^.*-/, "").replace(/^gf[0-9a-f]+/, "")] || buttons[id];
  },
  addEventListener: function () {},
};
function current() {
  return frames.findIndex(function (f) { return f.classes.has("current"); });
}
function lit() {
  return rows.filter(function (r) { return r.classes.has("current"); })
    .map(function (r) { return Number(r.getAttribute("data-step")); });
}
var log = [];
function record(what) {
  log.push({what: what, frame: frames[current()].getAttribute("data-key"), rows: lit(),
            hash: fragment, play: buttons.play.textContent, live: root.classes.has("live")});
}
"""


def run(html: str, hash_: str = "") -> list[dict]:
    """Run the stepper's script on a fake page; return what is shown after each action."""
    script = re.search(r"<script>(.*?)</script>", html, re.S).group(1)
    keys = re.findall(r'data-key="([^"]+)"', html)
    rows = [int(r) for r in re.findall(r'<tbody data-step="(\d+)"', html)]
    actions = """
record("load");
buttons.next.click(); record("next");
buttons.prev.click(); buttons.prev.click(); record("prev at the start");
buttons.play.click(); record("play");
timers[0](); timers[0](); record("two ticks");
buttons.play.click(); record("pause");
"""
    program = FAKE_DOM + script + actions + "console.log(JSON.stringify(log));"
    data = json.dumps({"keys": keys, "rows": rows, "hash": hash_})
    out = subprocess.run(
        ["node", "-e", program, data], capture_output=True, text=True, check=True
    ).stdout
    return json.loads(out)


def seed_stepper() -> viz.Stepper:
    loss, _ = seed_example()
    loss.backward()
    return viz.stepper(loss)


def test_frames_are_the_forward_pass_then_step_0_then_each_backward_step():
    frames = seed_stepper().frames
    ids = [f.step_id for f in frames]
    # 13 nodes appear one by one, then step 0, then the 13 backward steps.
    assert ids[:2] == ["forward-1", "forward-2"] and ids[12] == "forward-13"
    assert ids[13] == "step-0" and ids[14:] == [f"step-{k}" for k in range(1, 14)]
    assert "no gradient is known yet" in frames[13].caption
    # Step 0 shows every forward value and no gradient: L's row reads data 9, grad ?.
    assert re.search(r"data 9</td></tr><tr><td[^>]*>grad \?", frames[13].source)
    # The first forward frame computes one node; every other value is still unknown.
    assert frames[0].source.count("data ?") == 12


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page's script")
def test_the_page_steps_plays_and_keeps_the_step_in_the_address():
    log = run(seed_stepper().html(standalone=True), hash_="#step=6")
    by = {entry["what"]: entry for entry in log}
    # Opened at #step=6: backward step 6 is shown and its row of the table is lit.
    assert by["load"]["frame"] == "step=6" and by["load"]["rows"] == [6]
    assert by["load"]["live"]  # the script hides all frames but the current one
    assert by["next"]["frame"] == "step=7" and by["next"]["hash"] == "#step=7"
    assert by["prev at the start"]["frame"] == "step=5"
    assert by["play"]["play"] == "pause"
    assert by["two ticks"]["frame"] == "step=7"
    assert by["pause"]["play"] == "play"


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run the page's script")
def test_inline_in_a_notebook_it_starts_at_the_first_frame_and_leaves_the_address_alone():
    html = seed_stepper()._repr_html_()
    log = run(html, hash_="#step=6")
    assert log[0]["frame"] == "forward=1" and log[0]["hash"] == "#step=6"
    # Forward frames light no row of the backward table.
    assert log[0]["rows"] == []


def test_two_steppers_in_one_notebook_have_different_ids():
    stepper = seed_stepper()
    first, second = stepper._repr_html_(), stepper._repr_html_()
    ids = set(re.findall(r'id="([^"]+)"', first)) & set(re.findall(r'id="([^"]+)"', second))
    assert ids == set()


def test_without_scripts_every_frame_is_shown():
    html = seed_stepper()._repr_html_()
    # Frames are hidden only under the class "live", which the script adds.
    assert ".gf-stepper.live .frame { display: none; }" in html
    assert "display: none" not in html.split(".gf-stepper.live .frame {")[0]
