"""Gradient-flow diagrams, the backward pass step by step, and training plots.

For example::

    import viz
    loss.backward()
    viz.draw(loss)                        # every edge: upstream × local = downstream
    viz.save_steps(loss, "backward.html") # a flip-book, one frame per backward step
    viz.stepper(loss)                     # forward pass, step 0, backward steps, inline
    print(viz.backward_table(loss))       # the same steps as a table

A diagram of any size draws in seconds: past a node budget it folds (samples of a batch,
neurons, layers, earlier nodes) and says what it folded.
"""

from viz.diagram import Diagram, GraphvizNotFoundError, Layout
from viz.draw import LargeGraphWarning, draw
from viz.forward import draw_forward, draw_forward_steps
from viz.plots import plot_activations, plot_decision_boundary, plot_grad_flow, plot_history
from viz.steps import BackwardTable, Stepper, backward_table, draw_steps, save_steps, stepper

draw_dot = draw  # micrograd's name for the same function

__all__ = [
    "BackwardTable",
    "Diagram",
    "GraphvizNotFoundError",
    "LargeGraphWarning",
    "Layout",
    "Stepper",
    "backward_table",
    "draw",
    "draw_dot",
    "draw_forward",
    "draw_forward_steps",
    "draw_steps",
    "plot_activations",
    "plot_decision_boundary",
    "plot_grad_flow",
    "plot_history",
    "save_steps",
    "stepper",
]
