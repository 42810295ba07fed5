"""Benchmark the triage classifier on the public labelled messages: held-out accuracy and
macro-F1, messages per second on one core, training time.

    python bench/triage.py [--messages ../shared/data/messages] [--cv] [--repeat 3]

The held-out split is made once, before any tuning, and never tuned on:
1. exact copies are dropped (normalised text; the sample and the train file overlap);
2. the rest is split 80/20, stratified by label, with the fixed seed SEED;
3. near-copies are removed across the split: a test message whose text mostly recurs in a
   training message is dropped from the test part, and copies within each part are dropped.
The estimator's settings (gridgov.triage.training.build_pipeline) were chosen by 5-fold
cross-validation on the training part only; --cv repeats that cross-validation.

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
from sklearn.metrics import accuracy_score, classification_report, f1_score  # noqa: E402
from sklearn.model_selection import train_test_split  # noqa: E402

from gridgov.triage import text as triage_text  # noqa: E402
from gridgov.triage import training  # noqa: E402
from gridgov.triage.classifier import Head  # noqa: E402

SEED = 20260601
TEST_SIZE = 0.2


def held_out_split(pairs):
    """(train texts, train labels, test texts, test labels, counts) — see the docstring."""
    seen, texts, labels = set(), [], []
    for text, label in pairs:
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
        "read": len(pairs),
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


def throughput(head: Head, texts, *, batch: int, explain: bool = False, repeat: int = 3):
    """Best of `repeat` runs over all texts, in batches as `gridgov triage classify` does."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for start in range(0, len(texts), batch):
            head.predict(texts[start : start + batch], explain=explain)
        best = min(best, time.perf_counter() - started)
    return len(texts) / best


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", default=str(ROOT.parent / "shared" / "data" / "messages"))
    parser.add_argument("--cv", action="store_true", help="Also 5-fold CV on the train part.")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--json", action="store_true", help="Print the figures as JSON.")
    args = parser.parse_args(argv)

    pairs = training.read_messages(args.messages)
    train_x, train_y, test_x, test_y, counts = held_out_split(pairs)
    figures = {"split": counts, "labels": dict(sorted(Counter(test_y).items()))}

    triage_text.words("预热")  # jieba's dictionary loads once per process: not training time
    started = time.perf_counter()
    pipeline = training.fit(train_x, train_y)
    figures["train_seconds"] = round(time.perf_counter() - started, 2)

    head = Head(pipeline)
    predicted = [p.label for p in head.predict(test_x)]
    figures["test_accuracy"] = round(accuracy_score(test_y, predicted), 4)
    figures["test_macro_f1"] = round(f1_score(test_y, predicted, average="macro"), 4)
    figures["per_class"] = classification_report(test_y, predicted, output_dict=True, digits=4)
    if args.cv:
        figures["train_cv"] = training.cross_validate(train_x, train_y, folds=5)

    figures["mean_chars"] = round(statistics.mean(len(t) for t in test_x))
    figures["msgs_per_s_batch_1000"] = round(
        throughput(head, test_x, batch=1000, repeat=args.repeat)
    )
    figures["msgs_per_s_one_by_one"] = round(throughput(head, test_x, batch=1, repeat=args.repeat))
    figures["msgs_per_s_one_by_one_explained"] = round(
        throughput(head, test_x, batch=1, explain=True, repeat=args.repeat)
    )
    figures["machine"] = {
        "python": platform.python_version(),
        "sklearn": sklearn.__version__,
        "numpy": np.__version__,
        "cpu": platform.processor() or platform.machine(),
        "load_average": [round(x, 2) for x in os.getloadavg()],
    }
    if args.json:
        print(json.dumps(figures, ensure_ascii=False, indent=2))
        return
    print(f"split: {counts}")
    print(f"training: {figures['train_seconds']} s on {counts['train']} messages (one core)")
    print(
        f"held-out ({counts['test']} messages): accuracy {figures['test_accuracy']:.4f}, "
        f"macro-F1 {figures['test_macro_f1']:.4f}"
    )
    for label in sorted(set(test_y)):
        row = figures["per_class"][label]
        print(
            f"  {label:8s} precision {row['precision']:.3f} recall {row['recall']:.3f} "
            f"F1 {row['f1-score']:.3f} n={int(row['support'])}"
        )
    if args.cv:
        print(f"train part 5-fold CV: {figures['train_cv']}")
    print(
        f"throughput, one core, mean {figures['mean_chars']} characters: "
        f"{figures['msgs_per_s_batch_1000']} msg/s in batches of 1000, "
        f"{figures['msgs_per_s_one_by_one']} msg/s one at a time, "
        f"{figures['msgs_per_s_one_by_one_explained']} msg/s one at a time with top terms"
    )
    print(f"load average during the run: {figures['machine']['load_average']}")


if __name__ == "__main__":
    main()
