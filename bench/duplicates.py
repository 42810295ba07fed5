"""Precision and recall of the duplicate detector's text-similarity decision.

    python bench/duplicates.py                       # the default threshold, and a sweep
    python bench/duplicates.py --threshold 0.3       # the decision at another threshold
    python bench/duplicates.py --compare             # also TF-IDF variants (scikit-learn)

bench/data/duplicate_pairs.csv holds pairs of 留言编号 from the public message board
(../shared/data/messages/messages_with_votes.csv), labelled by hand as duplicate (the same
problem at the same place or about the same matter: one answer would settle both) or
not_duplicate. The file holds ids and labels only; the texts are read from the shared folder.
`kind` says how each pair was found: copy (one text posted twice), reworded (the same matter
in other words), template (the same complaint template about another place or school: the
hardest negatives), same_topic (shared topic words — 噪音, 物业, 幼儿园 … — but another
problem or place), unrelated (random pairs).

The pairs are split in two halves by a hash of their ids. The threshold is chosen on the
`tune` half (the one maximising F1) and precision/recall/F1 are reported on the `test` half;
the sweep over every pair is for information only. It scores with
gridgov.triage.duplicates.similarity — the function the case page uses — over title and
description, so the place filter that the product applies first (radius, community, time
window) is not part of this measure: template complaints about different places count as
false positives here, while on the case page the distance filter removes most of them.
"""

import argparse
import csv
import os
import re
import sys
import time
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PAIRS = ROOT / "bench" / "data" / "duplicate_pairs.csv"
MESSAGES = ROOT.parent / "shared" / "data" / "messages" / "messages_with_votes.csv"
SWEEP = [0.10, 0.15, 0.20, 0.25, 0.30, 0.35, 0.40, 0.50, 0.60]
GRID = [round(0.05 + 0.01 * i, 2) for i in range(86)]


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    import django

    django.setup()


def _clean(text: str) -> str:
    return re.sub(r"\s+", " ", (text or "").replace("\u3000", " ").replace("\xa0", " ")).strip()


def load_messages(path: Path) -> dict[str, tuple[str, str]]:
    with path.open(encoding="utf-8") as f:
        return {
            row["留言编号"].strip(): (_clean(row["留言主题"]), _clean(row["留言详情"]))
            for row in csv.DictReader(f)
        }


def load_pairs(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as f:
        pairs = list(csv.DictReader(f))
    for pair in pairs:
        key = f"{pair['message_a']}-{pair['message_b']}".encode()
        pair["split"] = "tune" if zlib.crc32(key) % 2 == 0 else "test"
        pair["y"] = pair["label"] == "duplicate"
    return pairs


def scores(pairs, messages, score) -> list[float]:
    return [score(messages[p["message_a"]], messages[p["message_b"]]) for p in pairs]


def confusion(ys, ss, threshold):
    tp = sum(1 for y, s in zip(ys, ss, strict=True) if y and s >= threshold)
    fp = sum(1 for y, s in zip(ys, ss, strict=True) if not y and s >= threshold)
    fn = sum(1 for y, s in zip(ys, ss, strict=True) if y and s < threshold)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return tp, fp, fn, precision, recall, f1


def choose_threshold(ys, ss) -> float:
    """The threshold with the best F1; ties go to the higher (more precise) threshold."""
    return max(GRID, key=lambda t: (round(confusion(ys, ss, t)[5], 6), t))


def report(name, pairs, ss, threshold):
    print(f"\n## {name}")
    tune = [(p["y"], s) for p, s in zip(pairs, ss, strict=True) if p["split"] == "tune"]
    test = [(p["y"], s) for p, s in zip(pairs, ss, strict=True) if p["split"] == "test"]
    chosen = choose_threshold([y for y, _ in tune], [s for _, s in tune])
    print(f"threshold chosen on the tune half ({len(tune)} pairs): {chosen:.2f}")
    for label, t in (("chosen", chosen), ("configured", threshold)):
        tp, fp, fn, p, r, f1 = confusion([y for y, _ in test], [s for _, s in test], t)
        print(
            f"test half ({len(test)} pairs) at the {label} threshold {t:.2f}: "
            f"precision {p:.3f}  recall {r:.3f}  F1 {f1:.3f}  (tp {tp}, fp {fp}, fn {fn})"
        )
    ys = [p["y"] for p in pairs]
    print("\nsweep over all pairs (information only)\n")
    print("| threshold | precision | recall | F1 | flagged |")
    print("|---|---|---|---|---|")
    for t in SWEEP:
        tp, fp, fn, p, r, f1 = confusion(ys, ss, t)
        print(f"| {t:.2f} | {p:.3f} | {r:.3f} | {f1:.3f} | {tp + fp} |")
    misses = [
        (p["kind"], p["message_a"], p["message_b"], s)
        for p, s in zip(pairs, ss, strict=True)
        if (s >= threshold) != p["y"]
    ]
    kinds = {}
    for kind, *_rest in misses:
        kinds[kind] = kinds.get(kind, 0) + 1
    print(f"\nwrong at {threshold:.2f}, by kind: {kinds}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threshold", type=float, default=None)
    parser.add_argument("--compare", action="store_true", help="also scikit-learn TF-IDF")
    parser.add_argument("--messages", type=Path, default=MESSAGES)
    args = parser.parse_args(argv)
    if not args.messages.exists():
        sys.exit(f"{args.messages} is missing: the shared data folder must sit beside the repo.")
    _setup_django()
    from gridgov.triage import duplicates

    threshold = (
        args.threshold if args.threshold is not None else duplicates.config()["MIN_SIMILARITY"]
    )
    messages = load_messages(args.messages)
    pairs = load_pairs(PAIRS)
    missing = {p[k] for p in pairs for k in ("message_a", "message_b")} - set(messages)
    if missing:
        sys.exit(f"message ids not in {args.messages.name}: {sorted(missing)[:5]}")
    kinds = {}
    for p in pairs:
        kinds[(p["label"], p["kind"])] = kinds.get((p["label"], p["kind"]), 0) + 1
    print(f"{len(pairs)} pairs: {sum(p['y'] for p in pairs)} duplicate; {kinds}")

    started = time.perf_counter()
    product = scores(pairs, messages, lambda a, b: duplicates.similarity(*a, *b))
    elapsed = time.perf_counter() - started
    print(f"gridgov.triage.duplicates.similarity: {elapsed / len(pairs) * 1e3:.2f} ms per pair")
    report(
        "gridgov.triage.duplicates.similarity (sublinear TF, char 2-3-grams)",
        pairs,
        product,
        threshold,
    )
    page_cost(messages, duplicates)
    if args.compare:
        compare(pairs, messages, threshold)


def page_cost(messages, duplicates):
    """What the case page pays in Python at most: one case against MAX_CANDIDATES others."""
    limit = duplicates.config()["MAX_CANDIDATES"]
    texts = list(messages.values())
    mine = duplicates.text_vector(*texts[0])
    best = float("inf")
    for _round in range(5):
        started = time.perf_counter()
        for other in texts[1 : 1 + limit]:
            duplicates.cosine(mine, duplicates.text_vector(*other))
        best = min(best, time.perf_counter() - started)
    print(f"\nscoring one case against {limit} candidates: {best * 1e3:.0f} ms (best of 5)")


def compare(pairs, messages, threshold):
    """TF-IDF with scikit-learn: IDF from the whole message board (a corpus the product
    would not have at a case page), and IDF fitted on the pair alone (what fitting on a
    small candidate set amounts to)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    from gridgov.triage.duplicates import normalise

    def text(m):
        return f"{m[0]}{m[0]}{m[1]}"

    corpus = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), preprocessor=normalise)
    ids = list(messages)
    matrix = corpus.fit_transform([text(messages[i]) for i in ids])
    row = {message_id: n for n, message_id in enumerate(ids)}

    def corpus_idf(a_id, b_id):
        return float(matrix[row[a_id]].multiply(matrix[row[b_id]]).sum())

    by_ids = [corpus_idf(p["message_a"], p["message_b"]) for p in pairs]
    report("TF-IDF, IDF from all 4,326 messages (scikit-learn)", pairs, by_ids, threshold)

    def pair_idf(a, b):
        vectoriser = TfidfVectorizer(analyzer="char", ngram_range=(2, 3), preprocessor=normalise)
        m = vectoriser.fit_transform([text(a), text(b)])
        return float(m[0].multiply(m[1]).sum())

    report("TF-IDF fitted on the pair alone", pairs, scores(pairs, messages, pair_idf), threshold)


if __name__ == "__main__":
    main()
