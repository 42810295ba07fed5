"""gridgov triage train / classify / run from the command line, and its errors."""

import csv
import os
import subprocess
import sys
import tempfile
from io import StringIO
from pathlib import Path
from unittest import skipUnless

from django.core.management import CommandError, call_command
from django.test import SimpleTestCase

from gridgov.triage import training
from gridgov.triage.models import TriageModel, TriageSuggestion
from gridgov.triage.tests.test_classifier import (
    TriageTestCase,
    synthetic_messages,
    write_messages,
)
from gridgov.triage.text import WordsText

SHARED_MESSAGES = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "messages"


def write_input(path: Path, rows, columns=("id", "text")) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(columns)
        writer.writerows(rows)


def read_output(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


class FreshDirectoryTest(SimpleTestCase):
    """A new directory, `gridgov migrate`, then train and classify: as a new user would."""

    def run_gridgov(self, directory: Path, *commands):
        """Each command through the console entry point, in one fresh interpreter (one
        start-up instead of three keeps the test fast); the first failure stops it."""
        env = {
            k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY", "DEBUG"}
        }
        env.update(GRIDGOV_VAR_DIR=str(directory / "var"), OMP_NUM_THREADS="1")
        script = "import sys\nfrom gridgov.cli import main\n" + "".join(
            f"main({['gridgov', *command]!r})\nprint('=== done', {command[0]!r}, flush=True)\n"
            for command in commands
        )
        return subprocess.run(
            [sys.executable, "-c", script],
            cwd=directory,
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
        )

    def test_train_and_classify_work_in_a_fresh_directory(self):
        with tempfile.TemporaryDirectory() as tmp:
            directory = Path(tmp)
            messages = directory / "messages"
            messages.mkdir()
            write_messages(messages, synthetic_messages(8))
            write_input(
                directory / "in.csv", [(1, "夜间施工噪音扰民"), (2, "公司拖欠工资三个月"), (3, "")]
            )
            done = self.run_gridgov(
                directory,
                ["migrate", "-v0"],
                ["triage", "train", "--messages", "messages"],
                [
                    "triage",
                    "classify",
                    "--input",
                    "in.csv",
                    "--text-column",
                    "text",
                    "--output",
                    "out.csv",
                ],
            )
            self.assertEqual(done.returncode, 0, done.stderr)
            self.assertEqual(done.stdout.count("=== done"), 3, done.stdout)
            self.assertIn("Trained messages-", done.stdout)
            self.assertEqual(len(list((directory / "var" / "models").glob("triage-*.joblib"))), 1)
            self.assertTrue((directory / "var" / "gridgov.sqlite3").exists())
            rows = read_output(directory / "out.csv")

        self.assertEqual(list(rows[0]), ["id", "text", "predicted_label", "confidence"])
        self.assertEqual([r["id"] for r in rows], ["1", "2", "3"])
        self.assertEqual(rows[0]["predicted_label"], "环境保护")
        self.assertEqual(rows[1]["predicted_label"], "劳动和社会保障")
        self.assertTrue(0 < float(rows[0]["confidence"]) <= 1)
        self.assertEqual((rows[2]["predicted_label"], rows[2]["confidence"]), ("", ""))


class CommandTest(TriageTestCase):
    def setUp(self):
        self.tmp = Path(tempfile.mkdtemp(dir=self.var_dir))
        self.input = self.tmp / "in.csv"
        self.output = self.tmp / "out.csv"
        write_input(self.input, [(1, "广场舞噪声扰民"), (2, "小区物业费乱收")])

    def classify(self, *extra, **options):
        call_command(
            "triage",
            "classify",
            "--input",
            str(options.get("input", self.input)),
            "--output",
            str(options.get("output", self.output)),
            *extra,
            stdout=StringIO(),
            stderr=StringIO(),
        )

    def test_classify_keeps_the_rows_and_adds_label_and_confidence(self):
        self.classify("--text-column", "text")
        rows = read_output(self.output)
        self.assertEqual([r["predicted_label"] for r in rows], ["环境保护", "城乡建设"])

    def test_a_missing_column_is_named_and_nothing_is_written(self):
        with self.assertRaisesRegex(CommandError, r"no column 'body'.*id, text"):
            self.classify("--text-column", "body")
        self.assertEqual(list(self.tmp.iterdir()), [self.input])

    def test_a_missing_input_file_is_named_and_nothing_is_written(self):
        with self.assertRaisesRegex(CommandError, "nope.csv: no such file"):
            self.classify(input=self.tmp / "nope.csv")
        self.assertEqual(list(self.tmp.iterdir()), [self.input])

    def test_an_output_in_a_missing_directory_is_refused(self):
        with self.assertRaisesRegex(CommandError, "does not exist"):
            self.classify(output=self.tmp / "no" / "out.csv")

    def test_classify_without_a_model_says_how_to_train_one(self):
        TriageModel.objects.update(is_active=False)
        with self.assertRaisesRegex(CommandError, "triage train --messages"):
            self.classify()
        self.assertFalse(self.output.exists())

    def test_train_on_a_missing_directory_is_a_clear_error(self):
        before = TriageModel.objects.count()
        with self.assertRaisesRegex(CommandError, "no such directory"):
            call_command("triage", "train", "--messages", str(self.tmp / "none"), stderr=StringIO())
        self.assertEqual(TriageModel.objects.count(), before)

    def test_train_on_files_without_labels_is_a_clear_error(self):
        write_input(self.tmp / "unlabelled.csv", [(1, "文本")], columns=("留言编号", "留言详情"))
        with self.assertRaisesRegex(CommandError, "no labelled messages"):
            call_command("triage", "train", "--messages", str(self.tmp), stderr=StringIO())

    def test_run_triages_the_received_backlog_once(self):
        first, second = self.intake(), self.intake(title="夜间施工噪音")
        out = StringIO()
        call_command("triage", "run", stdout=out, stderr=StringIO())
        self.assertIn("Triaged 2 cases", out.getvalue())
        self.assertEqual(TriageSuggestion.objects.filter(case__in=[first, second]).count(), 2)
        call_command("triage", "run", stdout=out, stderr=StringIO())
        self.assertIn("Triaged 0 cases", out.getvalue())

    def test_models_lists_and_activate_switches_versions(self):
        second = training.train_messages(self.messages_dir, cv_folds=0)
        call_command("triage", "activate", self.model_row.version, stdout=StringIO())
        self.model_row.refresh_from_db()
        second.refresh_from_db()
        self.assertTrue(self.model_row.is_active)
        self.assertFalse(second.is_active)
        out = StringIO()
        call_command("triage", "models", stdout=out)
        self.assertIn(f"* {self.model_row.version}", out.getvalue())


@skipUnless(SHARED_MESSAGES.is_dir(), "../shared/data/messages is absent (real message data)")
class SharedMessagesTest(SimpleTestCase):
    def test_the_labelled_files_give_seven_labels_and_their_overlap_is_dropped(self):
        pairs = training.read_messages(SHARED_MESSAGES)
        self.assertEqual({label for _text, label in pairs}, set(training.LABEL_CLASSES))
        segmented = [text for text, _label in pairs if isinstance(text, WordsText)]
        self.assertEqual((len(pairs), len(segmented)), (495 + 1842 + 7916, 7916))
        dataset = training.deduplicate(pairs)
        raw_kept = sum(not isinstance(text, WordsText) for text in dataset.texts)
        # The sample and the train file share about 150 messages, and about 2,300 of the
        # segmented messages are copies of raw ones.
        self.assertTrue(100 <= 495 + 1842 - raw_kept <= 200)
        self.assertTrue(2100 <= dataset.sources["segmented_copies_of_raw"] <= 2500)
