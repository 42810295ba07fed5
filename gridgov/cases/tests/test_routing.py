"""Which unit a case is dispatched to, and the reason recorded with it (dispatch is explainable).

All cases here lie in 滨江社区第01网格 (江北区 › 望江街道 › 滨江社区) unless said otherwise.
"""

from django.test import override_settings
from django.utils import translation

from gridgov.accounts.models import Department
from gridgov.cases import routing
from gridgov.cases.models import Category, DispatchRule
from gridgov.cases.tests.base import CaseTestCase

FAST_HASHER = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])


@FAST_HASHER
class RoutingTestCase(CaseTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.dirty_road = Category.objects.get(code="E0104")  # 道路不洁, E0103's sibling
        cls.hydrant = Category.objects.get(code="C0105")  # 消防栓 → 公安, not in our districts
        cls.units = {
            name: Department.objects.create(
                code=f"990101-{code}", name=f"江北区{name}局", short_name=name, region=cls.district
            )
            for code, name in [("a", "甲"), ("b", "乙"), ("c", "丙"), ("d", "丁")]
        }

    def rule(self, region, unit, category=None, priority=100, **extra):
        target = {"office_level": unit} if isinstance(unit, str) else {"department": unit}
        return DispatchRule.objects.create(
            region=region, category=category, priority=priority, **target, **extra
        )

    def case(self, category=None, **place):
        case = self.intake(**place)
        if category is not None:
            case.category = category
            case.save(update_fields=["category"])
        return case


class RuleSpecificityTests(RoutingTestCase):
    def test_the_rule_on_the_deepest_region_wins_even_for_any_category(self):
        a, b, c = self.units["甲"], self.units["乙"], self.units["丙"]
        self.rule(self.city, a, category=self.litter)
        self.rule(self.district, b, category=self.litter)
        chosen = self.rule(self.community, c)
        suggestion = routing.suggest_unit(self.case(self.litter))
        self.assertEqual((suggestion.department, suggestion.rule), (c, chosen))

    def test_on_one_region_the_exact_category_beats_its_parent_which_beats_any(self):
        a, b, c = self.units["甲"], self.units["乙"], self.units["丙"]
        self.rule(self.street, a)
        parent_rule = self.rule(self.street, b, category=self.litter.parent)
        exact_rule = self.rule(self.street, c, category=self.litter)
        self.assertEqual(routing.suggest_unit(self.case(self.litter)).rule, exact_rule)
        # A sibling leaf has no exact rule: its parent's rule applies.
        self.assertEqual(routing.suggest_unit(self.case(self.dirty_road)).rule, parent_rule)

    def test_the_lower_priority_number_breaks_a_tie(self):
        self.rule(self.street, self.units["甲"], category=self.litter, priority=50)
        first = self.rule(self.street, self.units["乙"], category=self.litter, priority=10)
        self.rule(self.street, self.units["丙"], category=self.litter, priority=90)
        self.assertEqual(routing.suggest_unit(self.case(self.litter)).rule, first)

    def test_rules_elsewhere_inactive_or_for_other_categories_are_ignored(self):
        self.rule(self.other_district, self.units["甲"], category=self.litter)
        self.rule(self.neighbour_community, self.units["乙"])
        self.rule(self.community, self.units["丙"], category=self.litter, is_active=False)
        self.rule(self.community, self.units["丁"], category=self.burst_main)
        suggestion = routing.suggest_unit(self.case(self.litter))
        self.assertIsNone(suggestion.rule)
        self.assertEqual(suggestion.department, self.department)  # the catalogue's 城管

    def test_the_explanation_names_the_rule_its_region_and_the_unit(self):
        self.rule(self.street, self.units["甲"], category=self.litter)
        with translation.override("en"):
            explanation = routing.suggest_unit(self.case(self.litter)).explanation
        for part in ("Rule", self.litter.name, self.street.name, self.units["甲"].name):
            self.assertIn(part, explanation)


class OfficeRuleTests(RoutingTestCase):
    def test_an_office_rule_resolves_to_the_cases_own_street_or_community(self):
        for level, office in [
            ("street", self.street),
            ("community", self.community),
            ("district", self.district),
        ]:
            with self.subTest(level=level):
                DispatchRule.objects.all().delete()
                rule = self.rule(self.city, level, category=self.flyposting)
                suggestion = routing.suggest_unit(self.case(self.flyposting))
                self.assertEqual((suggestion.office, suggestion.rule), (office, rule))
                self.assertIsNone(suggestion.department)

    def test_the_same_office_rule_sends_a_case_next_door_to_that_community(self):
        self.rule(self.city, "community", category=self.flyposting)
        case = self.case(self.flyposting, lng=120.125, lat=30.205)
        self.assertEqual(case.region, self.neighbour_grid)
        self.assertEqual(routing.suggest_unit(case).office, self.neighbour_community)


class CatalogueAndFallbackTests(RoutingTestCase):
    def test_with_no_rule_the_catalogues_department_in_the_cases_own_district_is_chosen(self):
        here = routing.suggest_unit(self.case(self.litter))
        there = routing.suggest_unit(self.case(self.litter, lng=120.205, lat=30.205))
        self.assertEqual(here.department, self.department)  # 江北区 城管
        self.assertEqual(there.department, self.other_department)  # 临湖区 城管
        self.assertIsNone(here.rule)
        with translation.override("en"):
            explanation = routing.suggest_unit(self.case(self.litter)).explanation
        self.assertIn("Catalogue", explanation)
        self.assertIn(self.department.name, explanation)

    def test_a_community_matter_goes_to_the_cases_community_office(self):
        suggestion = routing.suggest_unit(self.case(self.flyposting))
        self.assertEqual((suggestion.department, suggestion.office), (None, self.community))

    def test_with_no_unit_named_anywhere_the_district_answers_for_it(self):
        # 消防栓 belongs to 公安, and 江北区 has no 公安 department.
        with translation.override("en"):
            suggestion = routing.suggest_unit(self.case(self.hydrant))
        self.assertEqual((suggestion.department, suggestion.office), (None, self.district))
        self.assertIsNone(suggestion.rule)
        self.assertIn("兜底", suggestion.explanation)

    def test_an_unclassified_case_falls_back_to_the_district_too(self):
        suggestion = routing.suggest_unit(self.case())
        self.assertEqual(suggestion.office, self.district)
        self.assertIn("兜底", suggestion.explanation)

    def test_an_inactive_department_is_passed_over(self):
        Department.objects.filter(pk=self.department.pk).update(is_active=False)
        self.assertEqual(routing.suggest_unit(self.case(self.litter)).office, self.district)


class ExplainableDispatchTests(RoutingTestCase):
    def test_the_chosen_rule_is_recorded_on_the_assignment_and_the_dispatch_event(self):
        rule = self.rule(self.street, self.units["乙"], category=self.litter)
        case = self.dispatched()
        assignment = case.assignments.get()
        self.assertEqual((assignment.department, assignment.rule), (self.units["乙"], rule))
        self.assertIn(self.units["乙"].name, assignment.explanation)
        event = case.events.get(action="dispatch")
        self.assertEqual(event.data["rule"], rule.pk)
        self.assertEqual(event.data["explanation"], assignment.explanation)
        self.assertEqual(event.data["units"], [{"department": "990101-b", "name": "江北区乙局"}])
        self.assertEqual(event.data["suggested"], event.data["units"][0])
        self.assertFalse(event.data["override"])
        self.assertEqual(event.unit, self.units["乙"].name)

    def test_a_fallback_dispatch_records_no_rule_and_says_why(self):
        case = self.registered(category=self.hydrant)
        case = self.act(self.dispatcher, case, "dispatch")
        assignment = case.assignments.get()
        self.assertEqual((assignment.office, assignment.rule), (self.district, None))
        event = case.events.get(action="dispatch")
        self.assertIsNone(event.data["rule"])
        self.assertIn("兜底", event.data["explanation"])

    def test_overriding_the_rule_records_the_dispatcher_and_drops_the_rule(self):
        self.rule(self.street, self.units["乙"], category=self.litter)
        case = self.registered()
        case = self.act(self.dispatcher, case, "dispatch", departments=[self.units["丙"].code])
        assignment = case.assignments.get()
        self.assertIsNone(assignment.rule)
        self.assertIn(str(self.dispatcher), assignment.explanation)
        event = case.events.get(action="dispatch")
        self.assertTrue(event.data["override"])
        self.assertIsNone(event.data["rule"])
        self.assertEqual(event.data["suggested"]["department"], self.units["乙"].code)
