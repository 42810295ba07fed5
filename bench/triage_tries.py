"""Tries at the triage accuracy goal, by 5-fold cross-validation on the training part only.

    python bench/triage_tries.py [--messages ../shared/data/messages] [--only NAME,...]

The held-out split is bench/triage.py's, made before any tuning; its test part is never
scored here. Each try prints the macro-F1 and accuracy of 5-fold CV on the training part's
raw-text messages (StratifiedKFold, shuffled, seed 0), beside the current estimator's in the
same folds:

- baseline: gridgov.triage.training.build_pipeline, as shipped, raw-text messages only;
- segmented: the word-segmented messages that copy no raw message (bench/triage.py's
  segmented_extra) join every fold's training: as shipped, with the first 20 / 60 / all
  words of a segmented message as its word features instead of HEAD_WORDS, with the SVM's
  C at 0.5 and 2, with the segmented messages weighted 0.5, and with the text-feature
  changes of TEXT_VARIANTS and character 1-3-grams;
- self-training: the unlabelled messages (unlabelled2801, messages_with_votes,
  messages_with_replies), copies of either part of the split removed, labelled by the
  fold's model; those with a probability of at least 0.5 / 0.7 / 0.85 join its training;
- reply labels: messages_with_replies.csv labelled by the department that answered
  (REPLY_DEPARTMENTS; a message matching exactly one class) join every fold's training;
- other estimators on TF-IDF of head words + character n-grams: ridge, complement naive
  Bayes, SGD with modified Huber loss, and character 2–3-grams instead of 1–2.
"""

import argparse
import re

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


_PUNCTUATION = re.compile(r"[^\w]+")
_shipped_prepare = triage_text.prepare

# Changes to the text features, tried with the segmented messages added (module attributes
# of gridgov.triage.text, set for one try).
TEXT_VARIANTS = {
    "raw text without punctuation (like the segmented)": {
        "prepare": lambda text: (
            _shipped_prepare(text)
            if isinstance(text, triage_text.WordsText)
            else _PUNCTUATION.sub("", _shipped_prepare(text))
        )
    },
    "raw head words cut with jieba's HMM (like the segmented)": {
        "words": lambda text: [
            token
            for token in triage_text._jieba().lcut(text, HMM=True)
            if triage_text._is_feature_word(token)
        ]
    },
    "raw head 200 characters, segmented 80 words": {"HEAD_CHARS": 200, "HEAD_WORDS": 80},
    "words of the whole text, raw and segmented": {"HEAD_CHARS": 10**6, "HEAD_WORDS": None},
}


def segmented_tries(cross_validated, labels, segmented_x, segmented_y):
    def with_segmented(set_params=None, weight=1.0):
        def fit(x, y):
            pipeline = training.build_pipeline(y + segmented_y)
            if set_params:
                pipeline.set_params(**set_params)
            weights = [1.0] * len(x) + [weight] * len(segmented_x)
            return pipeline.fit(x + segmented_x, y + segmented_y, model__sample_weight=weights)

        return fit

    report("segmented added (build_pipeline)", labels, cross_validated(with_segmented()))
    shipped = triage_text.HEAD_WORDS
    for head in (20, 60, None):
        triage_text.HEAD_WORDS = head
        report(f"segmented, first {head or 'all'} words", labels, cross_validated(with_segmented()))
    triage_text.HEAD_WORDS = shipped
    for c in (0.5, 2.0):
        report(
            f"segmented, C {c}",
            labels,
            cross_validated(with_segmented({"model__estimator__C": c})),
        )
    report("segmented, weighted 0.5", labels, cross_validated(with_segmented(weight=0.5)))
    for name, replace in TEXT_VARIANTS.items():
        originals = {attribute: getattr(triage_text, attribute) for attribute in replace}
        for attribute, value in replace.items():
            setattr(triage_text, attribute, value)
        try:
            report(f"segmented, {name}", labels, cross_validated(with_segmented()))
        finally:
            for attribute, value in originals.items():
                setattr(triage_text, attribute, value)
    report(
        "segmented, character 1-3-grams",
        labels,
        cross_validated(
            lambda x, y: estimator(LinearSVC(C=1.0), chars=(1, 3)).fit(
                x + segmented_x, y + segmented_y
            )
        ),
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", default=str(bench.ROOT.parent / "shared/data/messages"))
    parser.add_argument("--only", help="baseline,segmented,self-training,reply labels,variants")
    args = parser.parse_args()
    wanted = set(args.only.split(",")) if args.only else None
    directory = bench.Path(args.messages)

    pairs = training.read_messages(directory)
    train_x, train_y, test_x, _test_y, counts = bench.held_out_split(pairs)
    segmented_x, segmented_y, segmented_counts = bench.segmented_extra(
        pairs, [text for text, _ in pairs if not isinstance(text, triage_text.WordsText)]
    )
    print(f"split: {counts}, {segmented_counts}")
    texts, labels = np.array(train_x, dtype=object), np.array(train_y)
    folds = list(StratifiedKFold(5, shuffle=True, random_state=0).split(texts, labels))

    def cross_validated(fit) -> np.ndarray:
        predicted = np.empty(len(labels), dtype=object)
        for train, validate in folds:
            predicted[validate] = fit(list(texts[train]), list(labels[train])).predict(
                list(texts[validate])
            )
        return predicted

    if wanted is None or "baseline" in wanted:
        report("baseline (build_pipeline)", labels, cross_validated(training.fit))
    if wanted is None or "segmented" in wanted:
        segmented_tries(cross_validated, labels, segmented_x, segmented_y)
    if wanted is None or wanted & {"self-training", "reply labels"}:
        extra = unlabelled(directory, [*train_x, *test_x])
        print(f"unlabelled messages kept: {len(extra)}")
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
