"""gridgov triage train | classify | run | models | activate

train [--messages DIR]   train on labelled message files (first-level labels), or, without
                         --messages, on gridgov's closed cases and dispatcher overrides
classify --input F.csv --text-column text --output OUT.csv
                         the input rows plus predicted_label and confidence
run [--limit N]          suggest for (and, where enabled, dispatch) received cases that
                         have no suggestion yet: the backlog, or intake with ON_INTAKE off
models                   the trained versions, the active ones marked
activate VERSION         make a version the active one of its kind
"""

import csv
import os
import tempfile
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from tqdm import tqdm

from gridgov.triage import classifier, training
from gridgov.triage.models import TriageModel, TriageModelKind, TriageSuggestion

BATCH = 1000


class _Stages:
    """A tqdm bar that advances one step per named stage of training."""

    def __init__(self, total, stream, disable):
        self.bar = tqdm(total=total, file=stream, disable=disable, unit="step", leave=True)
        self.started = False

    def __call__(self, description):
        if self.started:
            self.bar.update(1)
        self.started = True
        self.bar.set_description(description)

    def close(self):
        if self.started:
            self.bar.update(1)
        self.bar.close()


class Command(BaseCommand):
    help = "Train, use and inspect the triage classifier."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="subcommand", required=True)
        train = sub.add_parser("train", help="Train a new model version and make it active.")
        train.add_argument(
            "--messages",
            metavar="DIR",
            help="Directory of labelled message CSV files (label,text or "
            "留言主题,留言详情,一级分类, or label,tokens: already segmented, words separated "
            "by spaces). Copies across the files are trained on once. Without it: gridgov's "
            "closed cases.",
        )
        train.add_argument(
            "--cv-folds",
            type=int,
            default=5,
            help="Cross-validation folds for the recorded metrics; 0 skips them.",
        )
        train.add_argument(
            "--no-activate", action="store_true", help="Keep the current active version."
        )
        classify = sub.add_parser("classify", help="Label the rows of a CSV file.")
        classify.add_argument("--input", required=True, metavar="FILE.csv")
        classify.add_argument("--text-column", default="text")
        classify.add_argument("--output", required=True, metavar="OUT.csv")
        classify.add_argument("--model", metavar="VERSION", help="Default: the active model.")
        run = sub.add_parser("run", help="Triage received cases that have no suggestion.")
        run.add_argument("--limit", type=int, default=None)
        sub.add_parser("models", help="List the trained versions.")
        activate = sub.add_parser("activate", help="Make a version the active one.")
        activate.add_argument("version")

    def handle(self, *args, **options):
        return getattr(self, f"handle_{options['subcommand']}")(**options)

    # --- train ---------------------------------------------------------------------------------

    def handle_train(self, messages=None, cv_folds=5, no_activate=False, verbosity=1, **_):
        with_cv = bool(cv_folds and cv_folds > 1)
        stages = _Stages(
            (5 if messages else 4) - (0 if with_cv else 1), self.stderr._out, verbosity == 0
        )
        try:
            if messages:
                row = training.train_messages(
                    messages, cv_folds=cv_folds, progress=stages, activate=not no_activate
                )
            else:
                row = training.train_cases(
                    cv_folds=cv_folds, progress=stages, activate=not no_activate
                )
        except training.TrainingError as exc:
            raise CommandError(str(exc)) from None
        finally:
            stages.close()
        metrics = row.metrics
        summary = f"{metrics.get('examples')} examples, {len(row.labels)} labels"
        if "read" in metrics:
            segmented = metrics.get("read_segmented", 0)
            summary = (
                f"{metrics['read']} messages read ({metrics['read'] - segmented} raw text, "
                f"{segmented} segmented), {metrics['duplicates_dropped']} copies dropped "
                f"({metrics.get('segmented_copies_of_raw', 0)} segmented copies of raw "
                f"messages), {metrics['conflicts_dropped']} groups of copies with "
                f"conflicting labels dropped; {summary}"
            )
        if "cv_macro_f1" in metrics:
            summary += (
                f", {metrics['cv_folds']}-fold CV scored on {metrics.get('cv_scored')} raw texts: "
                f"accuracy {metrics['cv_accuracy']:.3f}"
                f" macro-F1 {metrics['cv_macro_f1']:.3f}"
            )
        state = "active" if row.is_active else "not active"
        self.stdout.write(f"Trained {row.version} ({state}): {summary}. File: {row.file_path}")

    # --- classify ------------------------------------------------------------------------------

    def handle_classify(self, input, text_column, output, model=None, verbosity=1, **_):
        output_dir = Path(output).parent
        if not output_dir.is_dir():
            raise CommandError(f"{output}: the directory {output_dir} does not exist.")
        loaded = self._model_for_classify(model)
        try:
            header, rows = training.read_csv_rows(Path(input))
        except training.TrainingError as exc:
            raise CommandError(str(exc)) from None
        if text_column not in header:
            raise CommandError(
                f"{input}: no column {text_column!r}. Its columns are: "
                + (", ".join(header) or "(none)")
                + ". Name the text column with --text-column."
            )
        out_header = header + [c for c in ("predicted_label", "confidence") if c not in header]
        texts = [classifier_text(row.get(text_column)) for row in rows]
        with tqdm(
            total=len(rows), file=self.stderr._out, disable=verbosity == 0, unit="msg"
        ) as bar:
            for start in range(0, len(rows), BATCH):
                chunk = [(i, t) for i, t in enumerate(texts[start : start + BATCH], start) if t]
                predictions = loaded.category.predict([t for _i, t in chunk]) if chunk else []
                for (i, _text), prediction in zip(chunk, predictions, strict=True):
                    rows[i]["predicted_label"] = prediction.label
                    rows[i]["confidence"] = f"{prediction.confidence:.4f}"
                bar.update(min(BATCH, len(rows) - start))
        _write_csv_atomically(Path(output), out_header, rows)
        self.stdout.write(f"Classified {len(rows)} rows with {loaded.version} into {output}.")

    def _model_for_classify(self, version):
        if version:
            row = TriageModel.objects.filter(version=version).first()
            if row is None:
                raise CommandError(f"No triage model {version!r}; see: gridgov triage models")
            try:
                return classifier.load(row)
            except classifier.ModelUnavailable as exc:
                raise CommandError(str(exc)) from None
        # Batch classification is on the first-level labels: the messages model first.
        loaded = classifier.active_model([TriageModelKind.MESSAGES, TriageModelKind.CASES])
        if loaded is None:
            raise CommandError(
                "No usable triage model. Train one first: gridgov triage train --messages DIR"
            )
        return loaded

    # --- run, models, activate -----------------------------------------------------------------

    def handle_run(self, limit=None, verbosity=1, **_):
        from gridgov.cases.choices import Status
        from gridgov.cases.models import Case

        loaded = classifier.active_model()
        if loaded is None:
            raise CommandError("No usable triage model. Train one first: gridgov triage train")
        pending = (
            Case.objects.filter(status=Status.RECEIVED)
            .exclude(pk__in=TriageSuggestion.objects.values("case_id"))
            .order_by("received_at", "pk")
            .values_list("pk", flat=True)
        )
        ids = list(pending[:limit] if limit else pending)
        counts: dict[str, int] = {}
        for case_id in tqdm(ids, file=self.stderr._out, disable=verbosity == 0, unit="case"):
            record = classifier.triage_case(case_id, model=loaded)
            if record is not None:
                counts[record.decision] = counts.get(record.decision, 0) + 1
        detail = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items())) or "nothing to do"
        self.stdout.write(f"Triaged {sum(counts.values())} cases ({detail}).")

    def handle_models(self, **_):
        for row in TriageModel.objects.order_by("kind", "-created_at"):
            mark = "*" if row.is_active else " "
            f1 = row.metrics.get("cv_macro_f1")
            score = f" cv macro-F1 {f1:.3f}" if f1 is not None else ""
            self.stdout.write(
                f"{mark} {row.version}  {row.get_kind_display()}  {len(row.labels)} labels{score}"
            )

    def handle_activate(self, version, **_):
        with transaction.atomic():
            row = TriageModel.objects.select_for_update().filter(version=version).first()
            if row is None:
                raise CommandError(f"No triage model {version!r}; see: gridgov triage models")
            try:
                classifier.load(row)
            except classifier.ModelUnavailable as exc:
                raise CommandError(str(exc)) from None
            TriageModel.objects.filter(kind=row.kind, is_active=True).update(is_active=False)
            TriageModel.objects.filter(pk=row.pk).update(is_active=True)
        self.stdout.write(f"{version} is now the active {row.get_kind_display()} model.")


def classifier_text(value) -> str:
    from gridgov.triage.text import normalise

    return normalise(value or "")


def _write_csv_atomically(path: Path, header, rows) -> None:
    """Write next to the target and rename, so a failure leaves no half-written file."""
    handle, temporary = tempfile.mkstemp(prefix=".triage-", suffix=".csv", dir=path.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
            writer = csv.DictWriter(out, fieldnames=header, extrasaction="ignore")
            writer.writeheader()
            writer.writerows(rows)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
