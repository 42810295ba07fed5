"""Learning from gridgov's own cases: final categories and the units dispatchers chose."""

from django.utils import timezone

from gridgov.cases.models import Case, CaseEvent
from gridgov.triage import classifier, training
from gridgov.triage.models import TriageModelKind
from gridgov.triage.tests.test_classifier import TriageTestCase

NOISE = [
    "夜间施工噪音扰民",
    "广场舞噪声太大",
    "工地噪音影响休息",
    "酒吧噪声扰民严重",
    "装修噪音早上六点开始",
    "货车鸣笛噪声",
]
LITTER = [
    "垃圾堆积无人清运",
    "路边垃圾成堆发臭",
    "建筑渣土乱倒",
    "垃圾桶满溢",
    "楼道垃圾堆放",
    "河边垃圾没人管",
]


class CasesModelTest(TriageTestCase):
    train_messages_model = False

    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.sequence = 0
        for title in NOISE:
            # Dispatchers sent noise to 城管 over the rules' 生态环境: overrides to learn.
            cls.closed_case(title, cls.noise, {"department": cls.department.code}, override=True)
        for title in LITTER:
            cls.closed_case(title, cls.litter, {"office": cls.street.code}, override=False)

    @classmethod
    def closed_case(cls, title, category, unit, override):
        cls.sequence += 1
        case = Case.objects.create(
            number=f"20260101-{cls.sequence:06d}",
            channel="hotline",
            case_type="complaint",
            category=category,
            title=title,
            description=f"{title}，请相关部门处理。",
            region=cls.community,
            region_path=cls.community.path,
            status="closed",
            closed_at=timezone.now(),
        )
        CaseEvent.objects.create(
            case=case,
            action="dispatch",
            data={"units": [unit], "override": override, "suggested": {}},
        )
        return case

    def test_it_learns_final_categories_and_dispatched_units(self):
        row = training.train_cases(cv_folds=0)
        self.assertEqual(row.kind, TriageModelKind.CASES)
        self.assertEqual(row.labels, sorted([self.noise.code, self.litter.code]))
        self.assertEqual(row.metrics["sources"]["overrides"], len(NOISE))
        self.assertEqual(
            row.metrics["unit_counts"],
            {"department:城管": len(NOISE), "office:street": len(LITTER)},
        )

    def test_a_confident_learned_unit_is_suggested_over_the_rules(self):
        training.train_cases(cv_folds=0)
        case = self.intake(title="工地噪音扰民", description="晚上工地噪音很大。")
        with self.settings(GRIDGOV_TRIAGE={"THRESHOLD": 0.0}):
            suggestion = classifier.suggest(case)
        self.assertEqual(suggestion.category, self.noise)
        self.assertTrue(suggestion.learned_unit)
        self.assertEqual(suggestion.departments, [self.department.code])
        self.assertEqual(suggestion.unit_name, self.department.name)

    def test_below_the_threshold_the_rules_choose_the_unit(self):
        training.train_cases(cv_folds=0)
        case = self.intake(title="工地噪音扰民", description="晚上工地噪音很大。")
        with self.settings(GRIDGOV_TRIAGE={"THRESHOLD": 1.0}):
            suggestion = classifier.suggest(case)
        self.assertFalse(suggestion.learned_unit)
        self.assertEqual(suggestion.unit_name, self.environment.name)

    def test_a_cases_model_is_preferred_to_a_messages_model(self):
        training.train_messages(self.messages_dir, cv_folds=0)
        row = training.train_cases(cv_folds=0)
        self.assertEqual(classifier.active_model().version, row.version)

    def test_too_few_closed_cases_is_a_clear_error(self):
        Case.objects.filter(category=self.litter).update(status="received")
        with self.assertRaisesRegex(training.TrainingError, "Not enough closed cases"):
            training.train_cases(cv_folds=0)
