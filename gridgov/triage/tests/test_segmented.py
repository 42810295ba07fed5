"""Training on a directory that holds raw-text and word-segmented labelled files, through
`gridgov triage train --messages` and `gridgov triage classify`, as a user runs them."""

import csv
import itertools
import shutil
import tempfile
from io import StringIO
from pathlib import Path

import jieba
from django.core.management import call_command
from django.test import TestCase, override_settings

from gridgov.triage import classifier
from gridgov.triage.models import TriageModel
from gridgov.triage.tests.test_classifier import synthetic_messages, write_messages
from gridgov.triage.tests.test_classifier_cli import read_output, write_input

# What the published segmented copies leave out besides punctuation.
STOP_WORDS = {"和", "的", "了", "请", "一带", "谢谢", "我们", "这里", "经常", "很"}
# A label that only the segmented file teaches.
TRAFFIC = ["公交线路", "红绿灯", "道路拥堵", "出租车", "驾驶员", "车站", "客运班车"]
PLACES = ["江北区", "望江街道", "滨江社区", "临河社区", "湖滨街道"]


def segmented_copy(text: str) -> str:
    """A message as the published segmented file has it: jieba words, stop-words and
    punctuation left out, single spaces."""
    words = jieba.lcut(text)
    return " ".join(w for w in words if w.strip() and w not in STOP_WORDS and w.isalnum())


def traffic_message(i: int) -> str:
    """Distinct messages: no two share the three terms."""
    a, b, c = list(itertools.combinations(TRAFFIC, 3))[i * 2]
    place = PLACES[i % len(PLACES)]
    return f"{place}{a}的问题，我们这里{b}经常出事，{c}也很乱，请处理。"


def write_segmented(path: Path, rows) -> None:
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["label", "tokens"])
        writer.writerows(rows)


@override_settings()
class SegmentedTrainingTest(TestCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tmp = Path(tempfile.mkdtemp(prefix="gridgov-triage-segmented-"))
        cls.var_override = override_settings(VAR_DIR=cls.tmp / "var")
        cls.var_override.enable()
        cls.messages = cls.tmp / "messages"
        cls.messages.mkdir()
        # Raw text: three labels, 42 messages in the two raw layouts.
        cls.raw = synthetic_messages()
        write_messages(cls.messages, cls.raw)
        # Segmented: a fourth label that no raw file has, and copies of 10 raw messages
        # (one of them with a word the raw text lacks, as re-typed copies have).
        traffic = [("交通运输", segmented_copy(traffic_message(i))) for i in range(14)]
        copies = [(label, segmented_copy(text)) for text, label in cls.raw[::4][:10]]
        copies[0] = (copies[0][0], copies[0][1] + " 尽快")
        write_segmented(cls.messages / "labelled_segmented.csv", traffic + copies)

    @classmethod
    def tearDownClass(cls):
        cls.var_override.disable()
        shutil.rmtree(cls.tmp, ignore_errors=True)
        classifier.forget_loaded_models()
        super().tearDownClass()

    def train(self):
        out = StringIO()
        call_command(
            "triage", "train", "--messages", str(self.messages), "--cv-folds", "3",
            stdout=out, stderr=StringIO(),
        )  # fmt: skip
        return TriageModel.objects.get(is_active=True), out.getvalue()

    def test_both_kinds_are_read_and_copies_across_them_are_trained_on_once(self):
        row, out = self.train()
        self.assertIn("66 messages read (42 raw text, 24 segmented)", out)
        self.assertIn("10 copies dropped (10 segmented copies of raw messages)", out)
        self.assertEqual(row.metrics["examples"], 42 + 14)
        self.assertEqual(row.metrics["examples_segmented"], 14)
        self.assertEqual(row.labels, sorted({"交通运输", *(label for _t, label in self.raw)}))

    def test_a_model_trained_on_both_classifies_raw_text(self):
        self.train()
        raw = [
            (1, "临河社区公交线路太少，红绿灯坏了，出租车乱停，请处理。"),
            (2, "湖滨街道夜间施工噪音很大，还有油烟污染。"),
            (3, "公司拖欠工资半年，社保也没有缴纳。"),
        ]
        write_input(self.tmp / "in.csv", raw)
        call_command(
            "triage", "classify", "--input", str(self.tmp / "in.csv"),
            "--output", str(self.tmp / "out.csv"), stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
        predicted = [row["predicted_label"] for row in read_output(self.tmp / "out.csv")]
        self.assertEqual(predicted, ["交通运输", "环境保护", "劳动和社会保障"])

    def test_a_segmented_copy_whose_label_differs_drops_both(self):
        text, label = self.raw[1]
        other = "城乡建设" if label != "城乡建设" else "环境保护"
        write_segmented(self.messages / "labelled_conflict.csv", [(other, segmented_copy(text))])
        try:
            row, out = self.train()
        finally:
            (self.messages / "labelled_conflict.csv").unlink()
        self.assertIn("1 groups of copies with conflicting labels dropped", out)
        self.assertEqual(row.metrics["examples"], 42 + 14 - 1)
