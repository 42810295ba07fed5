"""Tries at the triage accuracy goal, by 5-fold cross-validation on the training part only.

    python bench/triage_tries.py [--messages ../shared/data/messages] [--only NAME,...]

The held-out split is bench/triage.py's, made before any tuning; its test part is never
scored here. Each try prints the macro-F1 and accuracy of 5-fold CV on the training part
(StratifiedKFold, shuffled, seed 0), beside the current estimator's in the same folds:

- baseline: gridgov.triage.training.build_pipeline, as shipped;
- self-training: the unlabelled messages (unlabelled2801, messages_with_votes,
  messages_with_replies), copies of either part of the split removed, labelled by the
  fold's model; those with a probability of at least 0.5 / 0.7 / 0.85 join its training;
- reply labels: messages_with_replies.csv labelled by the department that answered
  (REPLY_DEPARTMENTS; a message matching exactly one class) join every fold's training;
- other estimators on TF-IDF of head words + character n-grams: ridge, complement naive
  Bayes, SGD with modified Huber loss, and character 2–3-grams instead of 1–2.
"""

import argparse

import triage as bench  # sets one BLAS thread and Django up; the held-out split

# isort: split
import numpy as np  # noqa: E402  (after triage's thread settings)
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import RidgeClassifier, SGDClassifier  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.naive_bayes import ComplementNB  # noqa: E402
from sklearn.pipeline import FeatureUnion, Pipeline  # noqa: E402
from sklearn.preprocessing import FunctionTransformer  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from gridgov.triage import text as triage_text  # noqa: E402
from gridgov.triage import training  # noqa: E402

UNLABELLED = ("unlabelled2801.csv", "messages_with_votes.csv", "messages_with_replies.csv")
THRESHOLDS = (0.5, 0.7, 0.85)
# The answering departments' names in a reply, per first-level class.
REPLY_DEPARTMENTS = {
    "教育文体": ("教育局", "教育体育局", "教体局", "教育厅", "文体", "体育局", "文化馆", "文广"),
    "交通运输": ("交通运输局", "交通局", "公交", "客运", "运管", "出租车", "交通运输厅"),
    "劳动和社会保障": (
        "人力资源和社会保障", "人社局", "人社部门", "社保", "医疗保险", "医保局", "劳动监察",
        "就业服务", "退休",
    ),
    "城乡建设": (
        "住房和城乡建设", "住建局", "城乡规划", "规划局", "城管", "管理和行政执法局", "住房保障",
        "不动产", "自然资源和规划", "房产局", "房屋征收",
    ),
    "环境保护": ("生态环境局", "环保局", "环境保护局", "环境保护"),
    "卫生计生": ("卫生健康", "卫健委", "卫健局", "卫计", "卫生计生", "疾控", "医院", "计生"),
    "商贸旅游": (
        "商务局", "市场监督管理", "市场监管", "物价", "旅游局", "文旅", "文化旅游", "质监",
    ),
}  # fmt: skip


def reply_label(reply: str) -> str | None:
    hits = [label for label, names in REPLY_DEPARTMENTS.items() if any(n in reply for n in names)]
    return hits[0] if len(hits) == 1 else None


def unlabelled(directory, labelled_texts) -> list[tuple[str, str]]:
    """(text, reply) of the unlabelled messages, without copies of a labelled one or of
    each other (the same near-copy test as the split's)."""
    read = []
    for name in UNLABELLED:
        _header, rows = training.read_csv_rows(directory / name)
        for row in rows:
            text = training._message_text(row)
            if text:
                read.append((text, row.get("答复意见", "")))
    groups = training.duplicate_groups(list(labelled_texts) + [text for text, _ in read])
    labelled_groups = set(groups[: len(labelled_texts)])
    kept, used = [], set()
    for index, item in enumerate(read):
        group = groups[len(labelled_texts) + index]
        if group not in labelled_groups and group not in used:
            used.add(group)
            kept.append(item)
    return kept


def estimator(model, chars=(1, 2)):
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=triage_text.head_words, sublinear_tf=True)),
            (
                "chars",
                TfidfVectorizer(analyzer="char", ngram_range=chars, sublinear_tf=True, min_df=2),
            ),
        ]
    )
    return Pipeline(
        [
            ("prepare", FunctionTransformer(triage_text.prepare_all)),
            ("features", features),
            ("model", model),
        ]
    )


VARIANTS = {
    "ridge": lambda: estimator(RidgeClassifier(alpha=1.0)),
    "complement naive Bayes": lambda: estimator(ComplementNB(alpha=0.3)),
    "SGD, modified Huber": lambda: estimator(
        SGDClassifier(loss="modified_huber", alpha=1e-4, random_state=0)
    ),
    "LinearSVC, character 2-3-grams": lambda: estimator(LinearSVC(C=1.0), chars=(2, 3)),
}


def report(name, labels, predicted):
    print(
        f"{name:40} CV macro-F1 {f1_score(labels, predicted, average='macro'):.4f}, "
        f"accuracy {np.mean(labels == predicted):.4f}",
        flush=True,
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", default=str(bench.ROOT.parent / "shared/data/messages"))
    parser.add_argument("--only", help="baseline,self-training,reply labels,variants")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    directory = bench.Path(args.messages)

    train_x, train_y, test_x, _test_y, counts = bench.held_out_split(
        training.read_messages(directory)
    )
    print(f"split: {counts}")
    texts, labels = np.array(train_x, dtype=object), np.array(train_y)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels))
    extra = unlabelled(directory, [*train_x, *test_x])
    print(f"unlabelled messages kept: {len(extra)}")

    def cross_validated(fit) -> np.ndarray:
        predicted = np.empty(len(labels), dtype=object)
        for train, validate in folds:
            predicted[validate] = fit(list(texts[train]), list(labels[train])).predict(
                list(texts[validate])
            )
        return predicted

    if wanted is None or "baseline" in wanted:
        report("baseline (build_pipeline)", labels, cross_validated(training.fit))
    if wanted is None or "self-training" in wanted:
        extra_texts = [text for text, _reply in extra]
        predicted = {threshold: np.empty(len(labels), dtype=object) for threshold in THRESHOLDS}
        for train, validate in folds:
            model = training.fit(list(texts[train]), list(labels[train]))
            probabilities = model.predict_proba(extra_texts)
            guessed = model.classes_[probabilities.argmax(axis=1)]
            confidence = probabilities.max(axis=1)
            for threshold in THRESHOLDS:
                chosen = confidence >= threshold
                pseudo = [text for text, keep in zip(extra_texts, chosen, strict=True) if keep]
                refit = training.fit(
                    list(texts[train]) + pseudo, list(labels[train]) + list(guessed[chosen])
                )
                predicted[threshold][validate] = refit.predict(list(texts[validate]))
        for threshold in THRESHOLDS:
            report(f"self-training, probability ≥ {threshold}", labels, predicted[threshold])
    if wanted is None or "reply labels" in wanted:
        weak = [(text, reply_label(reply)) for text, reply in extra if reply]
        weak = [(text, label) for text, label in weak if label]
        print(f"messages labelled by their answering department: {len(weak)}")
        weak_texts, weak_labels = [t for t, _ in weak], [label for _, label in weak]
        report(
            "reply labels added",
            labels,
            cross_validated(lambda x, y: training.fit(x + weak_texts, y + weak_labels)),
        )
    if wanted is None or "variants" in wanted:
        for name, make in VARIANTS.items():
            report(name, labels, cross_validated(lambda x, y, make=make: make().fit(x, y)))


if __name__ == "__main__":
    main()
