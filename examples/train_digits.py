"""Train a 64-128-10 ReLU network on scikit-learn's handwritten digits, with the Tensor engine.

    python examples/train_digits.py                   # digits: 1797 images of 8x8 pixels
    python examples/train_digits.py --mnist FOLDER    # MNIST from its four IDX files: 784-128-10
    python examples/train_digits.py --epochs 10 --seed 3 --lr 0.002 --batch-size 64

The recipe, the same for both data sets:

1. Standardize the pixels: subtract one mean and divide by one standard deviation, both
   taken over all pixels of the TRAINING images (the test images must not leak into
   training). One pair for all pixels, not one per pixel column: a pixel that is almost
   always blank (std 0.0015 in digits) would otherwise turn a single ink dot into a value of
   several hundred. (Per column: 97.6% on average over 20 seeds; one pair: 97.9%.)
2. digits: hold out 20% of the images for testing, shuffled with a fixed seed. MNIST comes
   with its own split (60,000 training, 10,000 test images).
3. nn.Sequential(Linear(nin, 128), ReLU(), Linear(128, 10)): 10 logits, one per digit, and
   cross-entropy on them (a stable log-softmax inside).
4. Adam (lr 1e-3), mini-batches of 32, 30 epochs, ``nn.fit`` with a progress bar.
5. Test accuracy: the fraction of test images whose largest logit is the right digit.

On digits this reaches 97-98.5% test accuracy, 97.9% on average over seeds 0-19, in well
under a second of training (``DEFAULT_SEED`` gives the run ``tests/test_train_digits.py``
checks).
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

# Run from a checkout without installing: put the project's root on the import path.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import nn  # noqa: E402

#: The seed of the split, the initial weights and the batch order, unless one is given.
DEFAULT_SEED = 0
HIDDEN = 128
CLASSES = 10


@dataclass
class Result:
    """What a training run gives back: the model, its history and the test accuracy."""

    model: nn.Sequential
    history: nn.History
    test_accuracy: float
    seconds: float


def standardize(X_train: np.ndarray, X_test: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(X - mean) / std for both sets, with the mean and std of all training pixels."""
    mean, std = X_train.mean(), X_train.std()
    return (X_train - mean) / std, (X_test - mean) / std


def make_model(nin: int, seed: int) -> nn.Sequential:
    """nin -> 128 ReLU -> 10 logits, He-initialised from ``seed``."""
    rng = np.random.default_rng(seed)
    return nn.Sequential(
        nn.Linear(nin, HIDDEN, seed=rng),
        nn.ReLU(),
        nn.Linear(HIDDEN, CLASSES, seed=rng),
    )


def accuracy(model: nn.Sequential, X: np.ndarray, y: np.ndarray) -> float:
    """The fraction of rows whose largest logit is at the true class."""
    return float(np.mean(nn.predict(model, X).argmax(axis=1) == y))


def train(
    X_train: np.ndarray,
    y_train: np.ndarray,
    X_test: np.ndarray,
    y_test: np.ndarray,
    *,
    epochs: int = 30,
    batch_size: int = 32,
    lr: float = 1e-3,
    seed: int = DEFAULT_SEED,
    progress: bool = True,
) -> Result:
    """Standardize, build the 128-unit network, fit it with Adam, measure test accuracy.

    The test set is also evaluated after every epoch (``history.val_loss``/``val_accuracy``),
    to watch for overfitting; nothing is chosen by it.
    """
    X_train, X_test = standardize(X_train, X_test)
    model = make_model(X_train.shape[1], seed)
    optimizer = nn.optim.Adam(model.parameters(), lr=lr)
    start = time.perf_counter()
    history = nn.fit(
        model,
        X_train,
        y_train,
        loss="cross_entropy",
        optimizer=optimizer,
        epochs=epochs,
        batch_size=batch_size,
        progress=progress,
        seed=seed,
        validation_data=(X_test, y_test),
    )
    seconds = time.perf_counter() - start
    return Result(model, history, accuracy(model, X_test, y_test), seconds)


def train_digits(seed: int = DEFAULT_SEED, **settings: Any) -> Result:
    """The digits run: an 80/20 split shuffled with ``seed``, then ``train(**settings)``."""
    X, y = nn.data.load_digits()
    X_train, X_test, y_train, y_test = nn.data.train_test_split(X, y, test_size=0.2, seed=seed)
    return train(X_train, y_train, X_test, y_test, seed=seed, **settings)


def train_mnist(folder: str | Path, **settings: Any) -> Result:
    """The MNIST run: the IDX files' own train/test split, then ``train(**settings)``."""
    X_train, y_train = nn.data.load_mnist(folder, "train")
    X_test, y_test = nn.data.load_mnist(folder, "test")
    return train(X_train.astype(np.float64), y_train, X_test.astype(np.float64), y_test, **settings)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mnist", metavar="FOLDER", help="train on MNIST's IDX files there")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    settings = {
        "epochs": args.epochs,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
    }
    if args.mnist:
        name, result = "MNIST", train_mnist(args.mnist, **settings)
    else:
        name, result = "digits", train_digits(**settings)
    print(result.model)
    print(f"{name}: {result.history}")
    print(f"{name}: test accuracy {result.test_accuracy:.2%} ({result.seconds:.1f} s of training)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
