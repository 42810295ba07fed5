"""The classifier: it trains, loads, suggests, explains, and waits or dispatches.

Trained on small generated messages (three first-level labels with distinct vocabulary),
never on accuracy figures; bench/triage.py measures those.
"""

import shutil
import tempfile
from pathlib import Path

from django.test import override_settings
from django_tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from gridgov.accounts.models import Department
from gridgov.cases.models import Category
from gridgov.cases.tests.base import CaseTestCase, run_queued_tasks
from gridgov.triage import classifier, training
from gridgov.triage.models import (
    TriageCategorySetting,
    TriageDecision,
    TriageModel,
    TriageModelKind,
    TriageSuggestion,
)
from gridgov.triage.tasks import triage_cases_task

TOPICS = {
    "环境保护": ["噪音", "噪声扰民", "夜间施工", "排放废气", "污水直排", "油烟污染", "粉尘"],
    "城乡建设": ["物业管理", "物业费", "电梯故障", "小区绿化", "业主委员会", "房屋漏水", "停车位"],
    "劳动和社会保障": [
        "拖欠工资",
        "社保缴纳",
        "劳动合同",
        "养老保险",
        "失业金",
        "工伤认定",
        "欠薪",
    ],
}
PLACES = ["江北区", "望江街道", "滨江社区", "临河社区", "湖滨街道"]


def synthetic_messages(per_label: int = 14) -> list[tuple[str, str]]:
    """Deterministic short messages: each mixes three of its label's terms with shared words."""
    rows = []
    for label, terms in TOPICS.items():
        for i in range(per_label):
            a, b, c = (terms[(i + k) % len(terms)] for k in (0, 2, 4))
            place = PLACES[i % len(PLACES)]
            rows.append((f"{place}{a}问题 反映{place}一带{b}和{c}，请尽快处理，谢谢。", label))
    return rows


def write_messages(directory: Path, rows) -> None:
    """The two layouts of the shared data: label,text and the sample's Chinese columns."""
    import csv

    half = len(rows) // 2
    with open(directory / "labelled_train.csv", "w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["label", "text"])
        writer.writerows([(label, text) for text, label in rows[::2]])
    with open(directory / "labelled_sample.csv", "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["留言编号", "留言主题", "留言详情", "一级分类"])
        for n, (text, label) in enumerate(rows[1::2]):
            title, _sep, detail = text.partition(" ")
            writer.writerow([n, f"\n\t{title}\u3000", f"\xa0{detail}\n", label])
    assert half > 0


class TriageTestCase(CaseTestCase):
    """A temporary VAR_DIR and a messages model trained on generated messages."""

    train_messages_model = True

    @classmethod
    def setUpClass(cls):
        cls.var_dir = Path(tempfile.mkdtemp(prefix="gridgov-triage-"))
        cls.messages_dir = cls.var_dir / "messages"
        cls.messages_dir.mkdir()
        write_messages(cls.messages_dir, synthetic_messages())
        cls.var_override = override_settings(VAR_DIR=cls.var_dir)
        cls.var_override.enable()
        super().setUpClass()

    @classmethod
    def tearDownClass(cls):
        super().tearDownClass()
        cls.var_override.disable()
        shutil.rmtree(cls.var_dir, ignore_errors=True)
        classifier.forget_loaded_models()

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.environment = Department.objects.create(
            code="990101-hb", name="江北区生态环境分局", short_name="生态环境", region=cls.district
        )
        cls.noise = Category.objects.get(code="H0501")
        if cls.train_messages_model:
            cls.model_row = training.train_messages(cls.messages_dir, cv_folds=3)

    def noisy_case(self, **fields):
        fields.setdefault("title", "滨江社区噪声扰民")
        fields.setdefault("description", "夜间施工噪音很大，还有油烟污染，请处理。")
        return self.intake(**fields)

    def intake_and_triage(self, **fields):
        case = self.noisy_case(**fields)
        run_queued_tasks()
        case.refresh_from_db()
        return case


class TrainingTest(TriageTestCase):
    def test_a_model_trains_into_a_versioned_file_and_an_active_row(self):
        row = self.model_row
        self.assertTrue(row.is_active)
        self.assertEqual(row.kind, TriageModelKind.MESSAGES)
        self.assertEqual(row.labels, sorted(TOPICS))
        path = Path(row.file_path)
        self.assertEqual(path, self.var_dir / "models" / f"triage-{row.version}.joblib")
        self.assertTrue(path.exists())
        self.assertEqual(row.metrics["examples"], 3 * 14)
        self.assertIn("cv_macro_f1", row.metrics)

    def test_both_file_layouts_are_read_and_stray_whitespace_is_stripped(self):
        pairs = training.read_messages(self.messages_dir)
        self.assertEqual(len(pairs), 3 * 14)
        self.assertTrue(all(text == text.strip() and "\u3000" not in text for text, _ in pairs))

    def test_copies_of_a_message_are_trained_on_once(self):
        rows = synthetic_messages(4)
        copies = rows + [(" " + rows[0][0] + "\n", rows[0][1]), (rows[1][0][2:], rows[1][1])]
        dataset = training.deduplicate(copies)
        self.assertEqual(len(dataset.texts), len(rows))
        self.assertEqual(dataset.duplicates_dropped, 2)

    def test_a_new_version_replaces_the_active_one_and_is_reloaded(self):
        first = classifier.active_model()
        self.assertEqual(first.version, self.model_row.version)
        second = training.train_messages(self.messages_dir, cv_folds=0)
        self.model_row.refresh_from_db()
        self.assertFalse(self.model_row.is_active)
        self.assertEqual(classifier.active_model().version, second.version)
        self.assertEqual(TriageModel.objects.filter(is_active=True).count(), 1)

    def test_a_missing_model_file_means_no_suggestion_rather_than_an_error(self):
        row = training.train_messages(self.messages_dir, cv_folds=0)
        Path(row.file_path).unlink()
        classifier.forget_loaded_models()
        with self.assertLogs("gridgov.triage.classifier", "WARNING"):
            self.assertIsNone(classifier.active_model())
        case = self.noisy_case()
        self.assertIsNone(classifier.triage_case(case.pk))

    def test_one_label_is_refused_with_a_clear_message(self):
        with self.assertRaisesRegex(training.TrainingError, "at least two labels"):
            training.fit(["一", "二", "三"], ["环境保护"] * 3)


class SuggestionTest(TriageTestCase):
    def test_it_suggests_the_class_leaf_its_unit_and_a_confidence(self):
        case = self.noisy_case()
        suggestion = classifier.suggest(case)
        self.assertEqual(suggestion.label, "环境保护")
        self.assertEqual(suggestion.category, self.noise)  # H05 → its first leaf H0501
        self.assertEqual(suggestion.unit_name, self.environment.name)
        self.assertEqual(suggestion.departments, [self.environment.code])
        self.assertGreater(suggestion.confidence, 0.34)
        self.assertLessEqual(suggestion.confidence, 1.0)

    def test_it_explains_with_terms_of_the_case_text(self):
        case = self.noisy_case()
        suggestion = classifier.suggest(case)
        self.assertTrue(suggestion.terms)
        text = case.title + case.description
        self.assertTrue(all(term in text for term in suggestion.term_names))
        weights = [weight for _term, weight in suggestion.terms]
        self.assertEqual(weights, sorted(weights, reverse=True))

    def test_suggesting_leaves_the_case_as_it_was(self):
        case = self.noisy_case(category=self.litter.code)
        classifier.suggest(case)
        self.assertEqual(case.category, self.litter)

    def test_a_leaf_chosen_at_intake_inside_the_class_is_kept(self):
        water = Category.objects.get(code="H0502")
        case = self.noisy_case(category=water.code)
        self.assertEqual(classifier.suggest(case).category, water)

    def test_without_an_active_model_there_is_no_suggestion(self):
        TriageModel.objects.update(is_active=False)
        case = self.noisy_case()
        self.assertIsNone(classifier.suggest(case))
        self.assertIsNone(classifier.triage_case(case.pk))

    def test_the_case_page_shows_the_suggestion_and_why(self):
        case = self.noisy_case()
        self.login(self.dispatcher)
        response = self.client.get(f"/cases/{case.number}/")
        self.assertContains(response, "triage-suggestion")
        self.assertContains(response, self.noise.name)
        self.assertContains(response, self.model_row.version)
        self.assertContains(response, "<mark>", html=False)

    def test_the_case_page_renders_without_a_model(self):
        TriageModel.objects.update(is_active=False)
        case = self.noisy_case()
        self.login(self.dispatcher)
        response = self.client.get(f"/cases/{case.number}/")
        self.assertEqual(response.status_code, 200)
        self.assertNotContains(response, "triage-suggestion")


class DispatchDecisionTest(TriageTestCase):
    def test_intake_queues_triage_for_the_worker_instead_of_waiting_for_it(self):
        TriageCategorySetting.objects.create(category=self.noise, auto_dispatch=True, threshold=0)
        case = self.noisy_case()
        [queued] = DBTaskResult.objects.filter(task_path=triage_cases_task.module_path)
        self.assertEqual(queued.args_kwargs["args"], [[case.pk]])
        self.assertFalse(TriageSuggestion.objects.filter(case=case).exists())
        self.assertEqual(case.status, "received")

        run_queued_tasks()
        queued.refresh_from_db()
        self.assertEqual(queued.status, TaskResultStatus.SUCCESSFUL)
        decisions = queued.return_value["decisions"]
        self.assertEqual(decisions, {str(case.pk): TriageDecision.AUTO_DISPATCHED})
        case.refresh_from_db()
        self.assertEqual(case.status, "dispatched")

    def test_a_case_a_person_registered_before_the_worker_came_is_left_alone(self):
        TriageCategorySetting.objects.create(category=self.noise, auto_dispatch=True, threshold=0)
        case = self.noisy_case()
        self.act(self.dispatcher, case, "register", category=self.noise.code)
        run_queued_tasks()
        self.assertFalse(TriageSuggestion.objects.filter(case=case).exists())
        case.refresh_from_db()
        self.assertEqual(case.status, "registered")

    def test_with_triage_on_intake_off_nothing_is_queued(self):
        with self.settings(GRIDGOV_TRIAGE={"ON_INTAKE": False}):
            self.noisy_case()
        self.assertFalse(DBTaskResult.objects.filter(task_path=triage_cases_task.module_path))

    def test_below_the_threshold_the_case_waits_for_a_person(self):
        TriageCategorySetting.objects.create(category=self.noise, auto_dispatch=True, threshold=1)
        case = self.intake_and_triage()
        self.assertEqual(case.status, "received")
        record = TriageSuggestion.objects.get(case=case)
        self.assertEqual(record.decision, TriageDecision.WAITING)
        self.assertIn("1.00", record.reason)  # the threshold it fell short of

    def test_above_the_threshold_it_is_dispatched_when_enabled_for_the_category(self):
        TriageCategorySetting.objects.create(category=self.noise, auto_dispatch=True, threshold=0.2)
        case = self.intake_and_triage()
        self.assertEqual(case.status, "dispatched")
        self.assertEqual(case.category, self.noise)
        assignment = case.assignments.get()
        self.assertEqual(assignment.department, self.environment)
        dispatch = case.events.get(action="dispatch")
        self.assertEqual(dispatch.actor.username, "triage")
        self.assertFalse(dispatch.data["override"])
        self.assertFalse(dispatch.actor.has_usable_password())
        record = TriageSuggestion.objects.get(case=case)
        self.assertEqual(record.decision, TriageDecision.AUTO_DISPATCHED)

    def test_a_setting_on_the_subject_class_covers_its_leaves(self):
        environment = Category.objects.get(code="H05")
        TriageCategorySetting.objects.create(
            category=environment, auto_dispatch=True, threshold=0.2
        )
        self.assertEqual(self.intake_and_triage().status, "dispatched")

    def test_the_global_threshold_applies_when_the_category_sets_none(self):
        TriageCategorySetting.objects.create(category=self.noise, auto_dispatch=True)
        with self.settings(GRIDGOV_TRIAGE={"THRESHOLD": 0.2}):
            self.assertEqual(self.intake_and_triage().status, "dispatched")
        with self.settings(GRIDGOV_TRIAGE={"THRESHOLD": 1.0}):
            self.assertEqual(self.intake_and_triage().status, "received")

    def test_without_a_setting_a_confident_case_still_waits(self):
        with self.settings(GRIDGOV_TRIAGE={"THRESHOLD": 0.0}):
            case = self.intake_and_triage()
        self.assertEqual(case.status, "received")
        decision = TriageSuggestion.objects.get(case=case).decision
        self.assertEqual(decision, TriageDecision.NOT_ENABLED)

    def test_a_different_category_given_at_intake_is_not_overruled(self):
        TriageCategorySetting.objects.create(category=self.noise, auto_dispatch=True, threshold=0)
        case = self.intake_and_triage(category=self.litter.code)
        self.assertEqual(case.status, "received")
        self.assertEqual(case.category, self.litter)

    def test_triage_runs_once_per_case(self):
        TriageCategorySetting.objects.create(category=self.noise, auto_dispatch=True, threshold=0)
        case = self.intake_and_triage()
        again = classifier.triage_case(case.pk)
        self.assertEqual(again.decision, TriageDecision.AUTO_DISPATCHED)
        self.assertEqual(case.events.filter(action="dispatch").count(), 1)
