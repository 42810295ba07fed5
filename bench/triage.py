"""Benchmark the triage classifier on the public labelled messages: held-out accuracy and
macro-F1, per-label F1 and confusion matrix, messages per second on one core, training time;
before (raw-text messages only) and after the word-segmented messages are added.

    python bench/triage.py [--messages ../shared/data/messages] [--cv] [--repeat 3]

The held-out split is made from the raw-text messages only (cases arrive as raw text), once,
before any tuning, and never tuned on:
1. exact copies are dropped (normalised text; the sample and the train file overlap);
2. the rest is split 80/20, stratified by label, with the fixed seed SEED;
3. near-copies are removed across the split: a test message whose text mostly recurs in a
   training message is dropped from the test part, and copies within each part are dropped.
The segmented messages (label,tokens) only ever join the training part: those that are
copies of any raw message, training or test (matched on their words,
gridgov.triage.training.duplicate_groups), are dropped, and so are copies among themselves.
The estimator's settings (gridgov.triage.training.build_pipeline) were chosen by 5-fold
cross-validation on the training part only (bench/triage_tries.py); --cv repeats it.

Single core: the BLAS/OpenMP thread counts are set to 1 before numpy is imported.
"""

import os

for _variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_variable] = "1"

import argparse  # noqa: E402
import json  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import unicodedata  # noqa: E402
from collections import Counter  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
os.environ.setdefault("SECRET_KEY", "bench")
# Settings create VAR_DIR; the benchmark touches no database and writes no model file.
os.environ.setdefault("GRIDGOV_VAR_DIR", tempfile.mkdtemp(prefix="gridgov-bench-"))

import django  # noqa: E402

django.setup()

import numpy as np  # noqa: E402
import sklearn  # noqa: E402
from sklearn.metrics import (  # noqa: E402
    accuracy_score,
    classification_report,
    confusion_matrix,
    f1_score,
)
from sklearn.model_selection import train_test_split  # noqa: E402

from gridgov.triage import text as triage_text  # noqa: E402
from gridgov.triage import training  # noqa: E402
from gridgov.triage.classifier import Head  # noqa: E402

# A fresh split for the segmented messages' round (the 2026-06 seed's test part had been
# scored in earlier rounds).
SEED = 20261204
TEST_SIZE = 0.2


def held_out_split(pairs):
    """(train texts, train labels, test texts, test labels, counts) of the raw-text
    messages among `pairs` — see the docstring."""
    seen, texts, labels = set(), [], []
    for text, label in pairs:
        if isinstance(text, triage_text.WordsText):
            continue
        key = triage_text.dedup_key(text)
        if key not in seen:
            seen.add(key)
            texts.append(text)
            labels.append(label)
    index = np.arange(len(texts))
    train_index, test_index = train_test_split(
        index, test_size=TEST_SIZE, stratify=labels, random_state=SEED
    )
    groups = training.duplicate_groups(texts)
    train_groups = {groups[i] for i in train_index}
    # Within each part keep the first of a group of copies; copies of a training message
    # leave the test part altogether.
    kept_train, kept_test, used = [], [], set()
    for i in sorted(train_index):
        if groups[i] not in used:
            used.add(groups[i])
            kept_train.append(i)
    crossing = 0
    for i in sorted(test_index):
        if groups[i] in train_groups:
            crossing += 1
        elif groups[i] not in used:
            used.add(groups[i])
            kept_test.append(i)
    counts = {
        "raw_read": len(pairs) - sum(isinstance(t, triage_text.WordsText) for t, _ in pairs),
        "after_exact_dedup": len(texts),
        "train": len(kept_train),
        "test": len(kept_test),
        "test_dropped_as_copies_of_train": crossing,
    }
    pick = lambda idx, seq: [seq[i] for i in idx]  # noqa: E731
    return (
        pick(kept_train, texts),
        pick(kept_train, labels),
        pick(kept_test, texts),
        pick(kept_test, labels),
        counts,
    )


def segmented_extra(pairs, raw_texts):
    """(texts, labels, counts) of the segmented messages that are copies of no raw message
    in `raw_texts` (both parts of the split) and of no other segmented message kept."""
    segmented = [(t, label) for t, label in pairs if isinstance(t, triage_text.WordsText)]
    if not segmented:
        return [], [], {"segmented_read": 0}
    # Raw texts carry a placeholder label: only the groups matter here.
    dataset = training.deduplicate([(t, "") for t in raw_texts] + segmented)
    raw_groups_dropped = dataset.sources["segmented_copies_of_raw"]
    kept = [
        (t, label)
        for t, label in zip(dataset.texts, dataset.labels, strict=True)
        if isinstance(t, triage_text.WordsText)
    ]
    counts = {
        "segmented_read": len(segmented),
        "segmented_copies_of_raw": raw_groups_dropped,
        "segmented_kept": len(kept),
    }
    return [t for t, _ in kept], [label for _, label in kept], counts


def throughput(head: Head, texts, *, batch: int, explain: bool = False, repeat: int = 3):
    """Best of `repeat` runs over all texts, in batches as `gridgov triage classify` does."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for start in range(0, len(texts), batch):
            head.predict(texts[start : start + batch], explain=explain)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def evaluate(train_x, train_y, test_x, test_y, labels) -> dict:
    """Fit on the training examples (one core) and score on the held-out part."""
    started = time.perf_counter()
    pipeline = training.fit(train_x, train_y)
    seconds = time.perf_counter() - started
    head = Head(pipeline)
    predicted = [p.label for p in head.predict(test_x)]
    report = classification_report(test_y, predicted, output_dict=True, zero_division=0)
    return {
        "head": head,
        "train_examples": len(train_x),
        "train_seconds": round(seconds, 2),
        "test_accuracy": round(accuracy_score(test_y, predicted), 4),
        "test_macro_f1": round(f1_score(test_y, predicted, average="macro"), 4),
        "per_label_f1": {label: round(report[label]["f1-score"], 4) for label in labels},
        "confusion": confusion_matrix(test_y, predicted, labels=labels).tolist(),
    }


def _width(text: str) -> int:
    """Columns a label takes in a terminal (a Chinese character takes two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def print_run(name, run, labels, test_size):
    print(f"\n== {name}")
    print(f"training: {run['train_seconds']} s on {run['train_examples']} messages (one core)")
    print(
        f"held-out ({test_size} raw messages): accuracy {run['test_accuracy']:.4f}, "
        f"macro-F1 {run['test_macro_f1']:.4f}"
    )
    print("per-label F1: " + ", ".join(f"{k} {v:.3f}" for k, v in run["per_label_f1"].items()))
    print("confusion matrix (rows: true label, columns: predicted, same order):")
    width = max(_width(label) for label in labels)
    for label, row in zip(labels, run["confusion"], strict=True):
        padding = " " * (width - _width(label))
        print(f"  {label}{padding} " + " ".join(f"{n:4d}" for n in row))
    if "train_cv" in run:
        print(f"train part 5-fold CV (scored on raw messages): {run['train_cv']}")
    print(
        f"throughput, one core: {run['msgs_per_s_batch_1000']} msg/s in batches of 1000, "
        f"{run['msgs_per_s_one_by_one']} msg/s one at a time, "
        f"{run['msgs_per_s_one_by_one_explained']} msg/s one at a time with top terms"
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", default=str(ROOT.parent / "shared" / "data" / "messages"))
    parser.add_argument("--cv", action="store_true", help="Also 5-fold CV on the train part.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args(argv)

    pairs = training.read_messages(args.messages)
    train_x, train_y, test_x, test_y, counts = held_out_split(pairs)
    extra_x, extra_y, extra_counts = segmented_extra(
        pairs, [t for t, _ in pairs if not isinstance(t, triage_text.WordsText)]
    )
    counts.update(extra_counts)
    labels = sorted(set(train_y) | set(test_y))
    figures = {"split": counts, "test_labels": dict(sorted(Counter(test_y).items()))}
    figures["mean_chars"] = round(statistics.mean(len(t) for t in test_x))

    triage_text.words("预热")  # jieba's dictionary loads once per process: not training time
    runs = {"raw only": (train_x, train_y)}
    if extra_x:
        runs["raw + segmented"] = (train_x + extra_x, train_y + extra_y)
    for name, (x, y) in runs.items():
        run = evaluate(x, y, test_x, test_y, labels)
        if args.cv:
            run["train_cv"] = training.cross_validate(x, y, folds=5)
        head = run.pop("head")
        run["msgs_per_s_batch_1000"] = round(
            throughput(head, test_x, batch=1000, repeat=args.repeat)
        )
        run["msgs_per_s_one_by_one"] = round(throughput(head, test_x, batch=1, repeat=args.repeat))
        run["msgs_per_s_one_by_one_explained"] = round(
            throughput(head, test_x, batch=1, explain=True, repeat=args.repeat)
        )
        figures[name] = run
    figures["machine"] = {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "cpu": platform.processor() or platform.machine(),
        "cores": os.cpu_count(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    print(f"split: {counts}")
    print(f"held-out labels: {figures['test_labels']}; mean {figures['mean_chars']} characters")
    for name in runs:
        print_run(name, figures[name], labels, counts["test"])
    print(f"\nmachine: {figures['machine']}")


if __name__ == "__main__":
    main()
