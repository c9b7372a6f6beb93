"""A real training sweep tracked by Cairn: small neural networks on scikit-learn's digits.

Twelve runs over learning rate, hidden size and L2 penalty. Each run logs its
hyperparameters, per-epoch training loss and validation accuracy, the data version of the
training set, a confusion-matrix image, the worst predictions as an image series, and the
trained model file; Cairn captures code, environment, console and hardware on its own.

    python examples/digits_sweep.py [--epochs 30] [--project digits]
"""

from __future__ import annotations

import argparse
import itertools
import os
import pickle
import tempfile
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from sklearn.metrics import ConfusionMatrixDisplay, accuracy_score, log_loss  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402
from sklearn.neural_network import MLPClassifier  # noqa: E402

import cairn  # noqa: E402


def save_dataset(folder: str) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, str]:
    digits = load_digits()
    x_train, x_val, y_train, y_val = train_test_split(
        digits.data / 16.0, digits.target, test_size=0.25, random_state=0, stratify=digits.target
    )
    path = os.path.join(folder, "digits_train.csv")
    np.savetxt(path, np.column_stack([x_train, y_train]), delimiter=",", fmt="%.4f")
    return x_train, x_val, y_train, y_val, path


def worst_predictions(model: MLPClassifier, x_val: np.ndarray, y_val: np.ndarray) -> np.ndarray:
    """The 8 validation images the model is least sure about, side by side."""
    proba = model.predict_proba(x_val)
    confidence = proba[np.arange(len(y_val)), y_val]
    worst = np.argsort(confidence)[:8]
    return np.hstack([x_val[i].reshape(8, 8) for i in worst])


def train(args: argparse.Namespace, data: tuple, lr: float, hidden: int, alpha: float) -> str:
    x_train, x_val, y_train, y_val, data_path = data
    config = {"lr": lr, "hidden": hidden, "alpha": alpha, "epochs": args.epochs, "batch_size": 64}
    name = f"mlp-h{hidden}-lr{lr}-a{alpha}"
    with cairn.init(
        project=args.project,
        name=name,
        tags=["mlp", "sweep"],
        config=config,
        monitoring_interval_s=0.25,
    ) as run:
        run["data/train"].track_files(data_path)
        model = MLPClassifier(
            hidden_layer_sizes=(hidden,),
            learning_rate_init=lr,
            alpha=alpha,
            batch_size=64,
            random_state=0,
        )
        classes = np.unique(y_train)
        for epoch in range(args.epochs):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ConvergenceWarning)
                model.partial_fit(x_train, y_train, classes=classes)
            val_proba = model.predict_proba(x_val)
            run.log(
                {
                    "train/loss": model.loss_,
                    "val/loss": log_loss(y_val, val_proba, labels=classes),
                    "val/acc": accuracy_score(y_val, val_proba.argmax(axis=1)),
                },
                step=epoch,
            )
            if epoch % 10 == 0 or epoch == args.epochs - 1:
                run["eval/worst_predictions"].log(
                    cairn.File.as_image(worst_predictions(model, x_val, y_val)), step=epoch
                )
        accuracy = accuracy_score(y_val, model.predict(x_val))
        run["val/final_acc"] = accuracy
        figure, axis = plt.subplots(figsize=(5, 5))
        ConfusionMatrixDisplay.from_estimator(model, x_val, y_val, ax=axis, colorbar=False)
        run["eval/confusion_matrix"].upload(cairn.File.as_image(figure, name="confusion.png"))
        plt.close(figure)
        model_path = os.path.join(args.workdir, "model.pkl")
        with open(model_path, "wb") as fh:
            pickle.dump(model, fh)
        run["model"].upload(model_path)
        print(f"{run.key} {name}: val accuracy {accuracy:.3f}")
        return run.key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--project", default="digits")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        args.workdir = folder
        data = save_dataset(folder)
        grid = itertools.product([0.01, 0.003, 0.001], [32, 128], [1e-4, 1e-2])
        keys = [train(args, data, lr, hidden, alpha) for lr, hidden, alpha in grid]
    best = cairn.Project(args.project).runs(sort="-val/final_acc", limit=3)
    print("\nBest runs:")
    print(
        best[
            ["sys/id", "sys/name", "parameters/lr", "parameters/hidden", "val/final_acc"]
        ].to_string(index=False)
    )
    home = os.path.abspath(".cairn")
    print(f"\n{len(keys)} runs stored in {home}")
    print(f"Look at them:  .venv/bin/cairn runs list --project {args.project} --sort=-val/acc")
    print(f"               .venv/bin/cairn runs show {keys[0]}")
    print(f"               .venv/bin/cairn compare {keys[0]} {keys[1]}")


if __name__ == "__main__":
    main()
