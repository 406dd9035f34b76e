"""What ``fnnet train`` prints when it is done."""

from __future__ import annotations

from .. import data
from ..fitting import FitResult
from ..model import Model, class_probabilities, labels_of, model_outputs
from ..params import sizes_of
from ..settings import TABLES
from .common import listing, metrics


def summary(result: FitResult, out: str | None, plot: str | None) -> list[str]:
    """The data, the training, the fit, and where the files went."""
    saved = f"written to {out}" if out else "not saved (add --out MODEL.npz)"
    lines = [*_data(result), *_training(result), *_fit(result)]
    lines.append(f"model       {saved}")
    if plot:
        lines.append(f"cost curve  written to {plot}")
    name = result.model.training["data"]
    if name in TABLES:
        lines += ["", *_truth_table(name, result.model)]
    return lines


def _data(result: FitResult) -> list[str]:
    """Where the examples came from and how they were split and scaled."""
    model, p = result.model, result.parts
    name = model.training["data"]
    kind = "built-in" if name in data.BUILTIN else "CSV"
    classes = f": {listing(model.classes)}" if model.classes else ""
    m_val = 0 if p.X_val is None else p.X_val.shape[1]
    used = f"all {p.X.shape[1]} for training"
    if m_val:
        used = f"{p.X.shape[1]} for training, {m_val} for validation"
    scaled = ", standardized with training statistics" if model.scaling else ""
    return [
        f"data        {name} ({kind}): {p.X.shape[1] + m_val} examples, "
        f"{listing(model.feature_names)} -> {model.target} ({model.task}{classes})",
        f"            {used}{scaled}",
    ]


def _training(result: FitResult) -> list[str]:
    """The network, the optimizer, and how many epochs ran in how long."""
    s, h, model = result.settings, result.history, result.model
    sizes = sizes_of(model.params)
    hidden = f"{s.hidden} hidden, " if len(sizes) > 2 else "no hidden layer, "
    batch = "full batch" if s.batch_size is None else f"batches of {s.batch_size}"
    l2 = f", l2 {s.l2:g}" if s.l2 else ""
    ran = f"{len(h.costs)}" + ("" if len(h.costs) == s.epochs else f" of {s.epochs}")
    lines = [
        f"network     {sizes}: {hidden}{s.output} output, cost {model.loss}",
        f"optimizer   {s.optimizer}, learning rate {s.learning_rate:g}, {batch}{l2}",
        f"ran         {ran} epochs in {result.seconds:.2f} s ({s.backend} backend)",
    ]
    if s.patience is not None:
        stop = "stopped early" if h.stopped_early else "did not stop early"
        lines.append(
            f"            {stop} (patience {s.patience}); kept the best epoch, "
            f"{h.best_epoch + 1}"
        )
    return lines


def _fit(result: FitResult) -> list[str]:
    """Metrics of the returned parameters on the training and validation parts."""
    sc = result.scores()
    lines = [f"{'training':<12}" + metrics(sc.train_cost, sc.train_accuracy)]
    if sc.val_cost is not None:
        lines.append(f"{'validation':<12}" + metrics(sc.val_cost, sc.val_accuracy))
    return lines


def _truth_table(name: str, model: Model) -> list[str]:
    """Inputs, target, output (probability of class 1) and prediction per row."""
    ds = data.load_builtin(name)
    A = model_outputs(model, ds.X)
    P1, labels = class_probabilities(model, A)[1], labels_of(model, A)
    names = ds.feature_names
    lines = [" ".join(names) + " | target  output  predicted"]
    for j in range(ds.X.shape[1]):
        cells = zip(ds.X[:, j], names, strict=True)
        inputs = " ".join(f"{int(v):>{len(n)}}" for v, n in cells)
        lines.append(f"{inputs} | {int(ds.Y[0, j]):>6}  {P1[j]:.4f}  {labels[j]:>9}")
    return lines
