"""gradflow's neural networks: modules, losses, optimizers, data, training, saving.

import nn
X, y = nn.data.make_moons(n=100, noise=0.1, seed=0)
model = nn.MLP(2, [16, 16, 1], activation="relu", seed=0)
history = nn.fit(model, X, y, loss="hinge", epochs=100)
nn.save(model, "moons.safetensors")

The same on the tensor engine, the whole batch at once (PyTorch's names):

model = nn.Sequential(nn.Linear(2, 16, seed=0), nn.ReLU(), nn.Linear(16, 1, seed=1))
history = nn.fit(model, X, y, loss="hinge", optimizer=nn.optim.Adam(model.parameters(), 0.01))
"""

from nn import data, losses, optim
from nn.checks import SizeError
from nn.linear import LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Tanh
from nn.losses import (
    binary_cross_entropy,
    binary_cross_entropy_with_logits,
    cross_entropy,
    hinge_loss,
    mse_loss,
)
from nn.mlp import ACTIVATIONS, MLP, Layer, Neuron
from nn.module import Module
from nn.serialize import ArchitectureError, SafetensorsError, load, save
from nn.train import History, fit, predict

__all__ = [
    "ACTIVATIONS",
    "MLP",
    "ArchitectureError",
    "History",
    "Layer",
    "LeakyReLU",
    "Linear",
    "Module",
    "Neuron",
    "ReLU",
    "SafetensorsError",
    "Sequential",
    "Sigmoid",
    "SizeError",
    "Tanh",
    "binary_cross_entropy",
    "binary_cross_entropy_with_logits",
    "cross_entropy",
    "data",
    "fit",
    "hinge_loss",
    "load",
    "losses",
    "mse_loss",
    "optim",
    "predict",
    "save",
]
