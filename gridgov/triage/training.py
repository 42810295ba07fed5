"""Training data and training: the labelled message files, gridgov's own closed cases, the
estimator, and the versioned model file.

Two kinds of model (TriageModelKind):
- messages: text → one of the 7 first-level labels of the public message board, each of which
  names one hotline subject class of the catalogue (LABEL_CLASSES);
- cases: text → final category code of closed cases, and text → the kind of unit the case
  was finally dispatched to (every dispatcher override is an example).
"""

import csv
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from gridgov.triage import text as triage_text
from gridgov.triage.models import TriageModel, TriageModelKind

FORMAT = 1

# The board's first-level labels and the hotline subject class each one predicts.
LABEL_CLASSES = {
    "城乡建设": "H01",
    "劳动和社会保障": "H02",
    "教育文体": "H03",
    "商贸旅游": "H04",
    "环境保护": "H05",
    "卫生计生": "H06",
    "交通运输": "H07",
}

SAMPLE_FILE = "labelled_sample495.csv"
TRAIN_FILE = "labelled_train1842.csv"


class TrainingError(Exception):
    """Bad or insufficient training input; the message says what to fix."""


@dataclass
class Dataset:
    texts: list[str]
    labels: list[str]
    sources: dict[str, int] = field(default_factory=dict)
    duplicates_dropped: int = 0
    conflicts_dropped: int = 0


# --- reading ----------------------------------------------------------------------------------


def read_csv_rows(path: Path) -> tuple[list[str], list[dict]]:
    """Header and rows of a UTF-8 CSV file (a byte-order mark is allowed)."""
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = list(reader)
            return list(reader.fieldnames or []), rows
    except FileNotFoundError:
        raise TrainingError(f"{path}: no such file.") from None
    except UnicodeDecodeError:
        raise TrainingError(f"{path}: not UTF-8 text; save it as UTF-8 CSV.") from None
    except csv.Error as exc:
        raise TrainingError(f"{path}: not a readable CSV file ({exc}).") from None


def _message_text(row: dict) -> str:
    """One message's text, whichever layout its file has."""
    if "tokens" in row and "text" not in row:
        return triage_text.WordsText((row["tokens"] or "").split())
    if "text" in row:
        return triage_text.normalise(row["text"])
    title = triage_text.normalise(row.get("留言主题", ""))
    detail = triage_text.normalise(row.get("留言详情", ""))
    return f"{title} {detail}".strip()


def read_messages(directory) -> list[tuple[str, str]]:
    """(text, first-level label) from every labelled CSV file in `directory`.

    Three layouts are read: 留言主题/留言详情/一级分类 (the sample), label,text (the train
    file) and label,tokens (a word-segmented copy: words separated by spaces). A segmented
    message comes as a triage_text.WordsText, which keeps its words as they were cut. Files
    of no layout (unlabelled messages, the taxonomy) are skipped; rows with an empty text or
    label are skipped too.
    """
    directory = Path(directory)
    if not directory.is_dir():
        raise TrainingError(f"{directory}: no such directory.")
    pairs = []
    for path in sorted(directory.glob("*.csv")):
        header, rows = read_csv_rows(path)
        if {"label", "text"} <= set(header):
            label_column = "label"
        elif {"label", "tokens"} <= set(header):
            label_column = "label"
        elif {"留言主题", "留言详情", "一级分类"} <= set(header):
            label_column = "一级分类"
        else:
            continue
        for row in rows:
            label = (row.get(label_column) or "").strip()
            message = _message_text(row)
            if label and message:
                pairs.append((message, label))
    if not pairs:
        raise TrainingError(
            f"{directory}: no labelled messages found. Expected CSV files with the columns "
            "label,text or label,tokens or 留言主题,留言详情,一级分类."
        )
    return pairs


# --- de-duplication ---------------------------------------------------------------------------

_SHINGLE = 5
_WORD_SHINGLE = 3
# A word shingle in more messages than this is a formula (尊敬的领导您好), not evidence of a
# copy; leaving such shingles out keeps the overlap matrix of ten thousand messages sparse.
_COMMON_SHINGLE = 30


def _shingles(key: str) -> set[str]:
    if len(key) <= _SHINGLE:
        return {key}
    return {key[i : i + _SHINGLE] for i in range(len(key) - _SHINGLE + 1)}


def _word_shingles(words) -> set[tuple]:
    if len(words) <= _WORD_SHINGLE:
        return {tuple(words)}
    return {tuple(words[i : i + _WORD_SHINGLE]) for i in range(len(words) - _WORD_SHINGLE + 1)}


def _copy_pairs(shingle_sets, containment, common=None):
    """(i, j) of the sets where most of the smaller one's shingles occur in the other."""
    import numpy as np
    from scipy import sparse

    vocabulary: dict = {}
    rows, cols = [], []
    for i, shingles in enumerate(shingle_sets):
        for shingle in shingles:
            rows.append(i)
            cols.append(vocabulary.setdefault(shingle, len(vocabulary)))
    matrix = sparse.csr_matrix(
        (np.ones(len(rows), dtype=np.float32), (rows, cols)),
        shape=(len(shingle_sets), len(vocabulary)),
    )
    if common is not None:
        frequent = np.asarray(matrix.sum(axis=0)).ravel() > common
        matrix = matrix[:, np.flatnonzero(~frequent)]
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    overlap = sparse.triu(matrix @ matrix.T, k=1).tocoo()
    for i, j, shared in zip(overlap.row, overlap.col, overlap.data, strict=True):
        if shared >= containment * max(1.0, min(sizes[i], sizes[j])):
            yield int(i), int(j)


# A word that raw messages use this often but no segmented copy contains is one of the
# stop-words the copies were cut without.
_STOP_WORD_MESSAGES = 3


def _segmented_copy_pairs(texts, raw, segmented, containment):
    """Copies among the segmented messages and between them and the raw ones, on words.

    A raw text is cut as the segmented copies were (triage_text.segment: jieba's default
    mode) and its stop-words are left out. Their list was not published, so it is read off
    the data: a word in at least _STOP_WORD_MESSAGES raw messages that no segmented message
    contains. Then, as for characters, most of the shorter word sequence's 3-word shingles
    must occur in the other. Raw messages are not compared with each other here.
    """
    vocabulary = {word for i in segmented for word in texts[i].words}
    sequences = {i: texts[i].words for i in segmented}
    for i in raw:
        sequences[i] = triage_text.segment(texts[i])
    used = Counter(word for i in raw for word in set(sequences[i]))
    stop_words = {w for w, n in used.items() if n >= _STOP_WORD_MESSAGES and w not in vocabulary}
    for i in raw:
        sequences[i] = [word for word in sequences[i] if word not in stop_words]
    order = sorted(sequences)
    found = _copy_pairs([_word_shingles(sequences[i]) for i in order], containment, _COMMON_SHINGLE)
    is_raw = set(raw)
    return [
        (order[i], order[j]) for i, j in found if not (order[i] in is_raw and order[j] in is_raw)
    ]


def duplicate_groups(texts: list[str], containment: float = 0.8) -> list[int]:
    """For each text, the index of the first text it duplicates (itself if none).

    Two raw messages are copies when most of the shorter one's 5-character shingles occur
    in the longer one: the same complaint posted twice, or once with its title and once
    without. A segmented message (WordsText) is compared on words instead, with raw and
    segmented ones (_segmented_copy_pairs).
    """
    segmented = [i for i, text in enumerate(texts) if isinstance(text, triage_text.WordsText)]
    raw = sorted(set(range(len(texts))) - set(segmented))
    pairs = [
        (raw[i], raw[j])
        for i, j in _copy_pairs(
            [_shingles(triage_text.dedup_key(texts[i])) for i in raw], containment
        )
    ]
    if segmented:
        pairs += _segmented_copy_pairs(texts, raw, segmented, containment)
    parent = list(range(len(texts)))

    def root(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in pairs:
        a, b = root(i), root(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return [root(i) for i in range(len(texts))]


def deduplicate(pairs: list[tuple[str, str]]) -> Dataset:
    """One example per group of copies, its raw text when it has one (that is what the model
    meets in use); a group whose copies disagree on the label is dropped."""
    texts_in = [text for text, _label in pairs]
    groups = duplicate_groups(texts_in)
    labels_of: dict[int, set] = {}
    keep: dict[int, int] = {}
    for i, ((text, label), group) in enumerate(zip(pairs, groups, strict=True)):
        labels_of.setdefault(group, set()).add(label)
        kept = keep.get(group)
        if kept is None or (
            isinstance(texts_in[kept], triage_text.WordsText)
            and not isinstance(text, triage_text.WordsText)
        ):
            keep[group] = i
    raw_groups = {
        group
        for text, group in zip(texts_in, groups, strict=True)
        if not isinstance(text, triage_text.WordsText)
    }
    texts, labels, conflicts = [], [], 0
    for group, i in sorted(keep.items(), key=lambda item: item[1]):
        if len(labels_of[group]) > 1:
            conflicts += 1
            continue
        texts.append(pairs[i][0])
        labels.append(pairs[i][1])
    segmented = sum(isinstance(text, triage_text.WordsText) for text in texts_in)
    return Dataset(
        texts,
        labels,
        sources={
            "raw": len(texts_in) - segmented,
            "segmented": segmented,
            "segmented_copies_of_raw": sum(
                1
                for text, group in zip(texts_in, groups, strict=True)
                if isinstance(text, triage_text.WordsText) and group in raw_groups
            ),
        },
        duplicates_dropped=len(pairs) - len(texts) - conflicts,
        conflicts_dropped=conflicts,
    )


# --- gridgov's own cases ----------------------------------------------------------------------


def unit_label(ref: dict, departments: dict, offices: dict) -> str | None:
    """A dispatch event's unit as a label that holds in every district: the department's
    short name (城管, 水务) or the office's level (street, community)."""
    if "department" in ref:
        department = departments.get(ref["department"])
        if department is None:
            return None
        return f"department:{department.short_name or department.code}"
    if "office" in ref:
        level = offices.get(ref["office"])
        return f"office:{level}" if level else None
    return None


def cases_dataset() -> tuple[Dataset, Dataset]:
    """(text → final category) of closed cases, and (text → unit) of every final dispatch
    of a closed case and every dispatcher override."""
    from gridgov.accounts.models import Department
    from gridgov.cases.choices import Action, Status
    from gridgov.cases.models import Case, CaseEvent
    from gridgov.regions.models import Region

    closed = Case.objects.filter(status=Status.CLOSED, category__isnull=False).values_list(
        "pk", "title", "description", "category__code"
    )
    texts = {}
    category_pairs = []
    for pk, title, description, code in closed.iterator():
        texts[pk] = triage_text.case_text(title, description)
        category_pairs.append((texts[pk], code))

    # The last dispatch of each case, and whether a person chose its unit over the rules
    # (the triage account's own choices are not overrides to learn from).
    from gridgov.triage.classifier import triage_settings

    triage_account = triage_settings()["ACTOR"]
    last_dispatch, overridden = {}, {}
    for case_id, data, username in (
        CaseEvent.objects.filter(action=Action.DISPATCH)
        .order_by("case_id", "created_at", "pk")
        .values_list("case_id", "data", "actor__username")
        .iterator()
    ):
        last_dispatch[case_id] = data or {}
        overridden[case_id] = bool((data or {}).get("override")) and username != triage_account
    wanted = {
        case_id: data
        for case_id, data in last_dispatch.items()
        if case_id in texts or overridden[case_id]
    }
    missing = [case_id for case_id in wanted if case_id not in texts]
    for pk, title, description in Case.objects.filter(pk__in=missing).values_list(
        "pk", "title", "description"
    ):
        texts[pk] = triage_text.case_text(title, description)
    refs = [ref for data in wanted.values() for ref in (data.get("units") or [])[:1]]
    departments = {
        d.code: d
        for d in Department.objects.filter(
            code__in=[r["department"] for r in refs if "department" in r]
        )
    }
    offices = dict(
        Region.objects.filter(code__in=[r["office"] for r in refs if "office" in r]).values_list(
            "code", "level"
        )
    )
    unit_pairs, overrides = [], 0
    for case_id, data in wanted.items():
        units = data.get("units") or []
        label = unit_label(units[0], departments, offices) if units else None
        if label and case_id in texts:
            unit_pairs.append((texts[case_id], label))
            overrides += overridden[case_id]
    units = Dataset([t for t, _ in unit_pairs], [u for _, u in unit_pairs])
    units.sources = {"dispatches": len(unit_pairs), "overrides": overrides}
    categories = Dataset([t for t, _ in category_pairs], [c for _, c in category_pairs])
    categories.sources = {"closed_cases": len(category_pairs)}
    return categories, units


# --- the estimator ----------------------------------------------------------------------------


def build_pipeline(labels: list[str]):
    """Prepare → TF-IDF over jieba words (of the head) and character 1–2-grams (of the whole
    text) → a linear SVM with sigmoid-calibrated probabilities, or logistic regression when
    some label has too few examples to calibrate on held-out folds."""
    from sklearn.calibration import CalibratedClassifierCV
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import FeatureUnion, Pipeline
    from sklearn.preprocessing import FunctionTransformer
    from sklearn.svm import LinearSVC

    counts = Counter(labels)
    if len(counts) < 2:
        raise TrainingError(
            f"Training needs examples of at least two labels; got {len(counts)} "
            f"({', '.join(counts) or 'none'})."
        )
    fewest = min(counts.values())
    if fewest >= 3:
        # ensemble=False: the folds only fit the calibration; one SVM fitted on everything
        # predicts, which keeps the file small and prediction a single dot product.
        model = CalibratedClassifierCV(
            LinearSVC(C=1.0, random_state=0),
            cv=min(5, fewest),
            method="sigmoid",
            ensemble=False,
        )
    else:
        model = LogisticRegression(C=10.0, max_iter=2000)
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(analyzer=triage_text.head_words, sublinear_tf=True)),
            ("chars", triage_text.CharNgramTfidf(min_df=2 if len(labels) >= 50 else 1)),
        ]
    )
    return Pipeline(
        [
            ("prepare", FunctionTransformer(triage_text.prepare_all)),
            ("features", features),
            ("model", model),
        ]
    )


def cross_validate(texts, labels, folds: int = 5, seed: int = 0, n_jobs=None) -> dict:
    """Accuracy and macro-F1 of k-fold cross-validation, scored on raw-text messages: the
    folds split the raw messages and the segmented ones (WordsText) join every fold's
    training, since cases arrive as raw text. With no raw message, all are folded."""
    from joblib import Parallel, delayed
    from sklearn.metrics import accuracy_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    scored = [i for i, text in enumerate(texts) if not isinstance(text, triage_text.WordsText)]
    scored = scored or list(range(len(texts)))
    always = sorted(set(range(len(texts))) - set(scored))
    scored_labels = [labels[i] for i in scored]
    folds = min(folds, min(Counter(scored_labels).values()))
    if folds < 2:
        return {}

    def fold(train, test):
        train = [scored[i] for i in train] + always
        train_labels = [labels[i] for i in train]
        pipeline = build_pipeline(train_labels).fit([texts[i] for i in train], train_labels)
        return test, pipeline.predict([texts[scored[i]] for i in test])

    cv = StratifiedKFold(folds, shuffle=True, random_state=seed)
    predicted = [None] * len(scored)
    for test, fold_predicted in Parallel(n_jobs=n_jobs)(
        delayed(fold)(train, test) for train, test in cv.split(scored, scored_labels)
    ):
        for i, label in zip(test, fold_predicted, strict=True):
            predicted[i] = label
    return {
        "cv_folds": folds,
        "cv_scored": len(scored),
        "cv_accuracy": round(float(accuracy_score(scored_labels, predicted)), 4),
        "cv_macro_f1": round(float(f1_score(scored_labels, predicted, average="macro")), 4),
    }


def fit(texts: list[str], labels: list[str]):
    return build_pipeline(labels).fit(texts, labels)


# --- the versioned file -----------------------------------------------------------------------


def models_dir() -> Path:
    return Path(settings.VAR_DIR) / "models"


def new_version(kind: str) -> str:
    stamp = timezone.now().strftime("%Y%m%d-%H%M%S")
    version, n = f"{kind}-{stamp}", 1
    # A file left by a version whose row is gone is not overwritten either: a process may
    # still hold that version in its cache.
    while (
        TriageModel.objects.filter(version=version).exists()
        or (models_dir() / f"triage-{version}.joblib").exists()
    ):
        n += 1
        version = f"{kind}-{stamp}-{n}"
    return version


def save_model(kind: str, payload: dict, labels: list[str], metrics: dict, *, activate=True):
    """Write VAR_DIR/models/triage-<version>.joblib and its TriageModel row; with activate,
    the new version replaces the active one of its kind."""
    import joblib
    import sklearn

    if kind not in TriageModelKind.values:
        raise TrainingError(f"Unknown model kind {kind!r}.")
    version = new_version(kind)
    directory = models_dir()
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"triage-{version}.joblib"
    metrics = {**metrics, "sklearn": sklearn.__version__}
    joblib.dump({"format": FORMAT, "kind": kind, "version": version, **payload}, path, compress=3)
    try:
        with transaction.atomic():
            if activate:
                TriageModel.objects.filter(kind=kind, is_active=True).update(is_active=False)
            return TriageModel.objects.create(
                version=version,
                kind=kind,
                labels=sorted(set(labels)),
                metrics=metrics,
                file_path=str(path),
                is_active=activate,
            )
    except Exception:
        path.unlink(missing_ok=True)
        raise


def train_messages(directory, *, cv_folds=5, progress=None, activate=True) -> TriageModel:
    """Train and save a messages model from the labelled CSV files in `directory`."""
    from joblib import parallel_config

    step = progress or (lambda description: None)
    started = time.perf_counter()
    step("reading")
    pairs = read_messages(directory)
    unknown = sorted({label for _text, label in pairs} - set(LABEL_CLASSES))
    step("de-duplicating")
    dataset = deduplicate(pairs)
    metrics = {}
    if cv_folds and cv_folds > 1:
        step("cross-validating")
        # Threads: liblinear releases the GIL, and worker processes would have to set
        # Django up again.
        with parallel_config(prefer="threads"):
            metrics.update(cross_validate(dataset.texts, dataset.labels, cv_folds, n_jobs=-1))
    step("fitting")
    pipeline = fit(dataset.texts, dataset.labels)
    metrics.update(
        examples=len(dataset.texts),
        examples_segmented=sum(isinstance(t, triage_text.WordsText) for t in dataset.texts),
        read=len(pairs),
        read_segmented=dataset.sources["segmented"],
        segmented_copies_of_raw=dataset.sources["segmented_copies_of_raw"],
        duplicates_dropped=dataset.duplicates_dropped,
        conflicts_dropped=dataset.conflicts_dropped,
        label_counts=dict(Counter(dataset.labels)),
        labels_outside_catalogue=unknown,
        train_seconds=round(time.perf_counter() - started, 2),
    )
    step("saving")
    return save_model(
        TriageModelKind.MESSAGES,
        {"category": pipeline},
        dataset.labels,
        metrics,
        activate=activate,
    )


def _drop_rare(dataset: Dataset, minimum: int = 2) -> Dataset:
    counts = Counter(dataset.labels)
    kept = [(t, label) for t, label in zip(dataset.texts, dataset.labels, strict=True)]
    kept = [(t, label) for t, label in kept if counts[label] >= minimum]
    return Dataset([t for t, _ in kept], [u for _, u in kept], sources=dataset.sources)


def train_cases(*, cv_folds=5, progress=None, activate=True) -> TriageModel:
    """Train and save a cases model from gridgov's closed cases and dispatcher overrides."""
    step = progress or (lambda description: None)
    started = time.perf_counter()
    step("reading cases")
    categories, units = cases_dataset()
    categories, units = _drop_rare(categories), _drop_rare(units)
    if len(set(categories.labels)) < 2:
        raise TrainingError(
            "Not enough closed cases to learn from: need closed cases of at least two "
            f"categories with two cases each; found {len(categories.texts)} usable cases. "
            "Until then, train on labelled messages: gridgov triage train --messages DIR."
        )
    metrics = {"sources": {**categories.sources, **units.sources}}
    if cv_folds and cv_folds > 1:
        step("cross-validating")
        metrics.update(cross_validate(categories.texts, categories.labels, cv_folds))
    step("fitting")
    payload = {"category": fit(categories.texts, categories.labels), "unit": None}
    if len(set(units.labels)) >= 2:
        payload["unit"] = fit(units.texts, units.labels)
    metrics.update(
        examples=len(categories.texts),
        label_counts=dict(Counter(categories.labels)),
        unit_counts=dict(Counter(units.labels)),
        train_seconds=round(time.perf_counter() - started, 2),
    )
    step("saving")
    return save_model(TriageModelKind.CASES, payload, categories.labels, metrics, activate=activate)
