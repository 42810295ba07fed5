"""Duplicate candidates (并单): what is found, what is not, and who sees it."""

from datetime import timedelta

from gridgov.cases.tests.base import CaseTestCase, at
from gridgov.lib.datum import gcj02_to_wgs84
from gridgov.triage import duplicates

LITTER = ("小区门口垃圾堆积", "滨江社区东门口的生活垃圾堆了两天没人清运，臭气熏天，请尽快处理。")
LITTER_AGAIN = (
    "东门口垃圾两天没清运",
    "滨江社区东门口生活垃圾堆积两天了没有人清运，很臭，请处理。",
)
STREETLIGHT = ("路灯不亮", "江滨路上三盏路灯坏了一个星期，晚上行人看不清路，希望修复。")
WHEN = at(2026, 3, 10, 9)


class DuplicateCandidateTests(CaseTestCase):
    def report(self, text, lng=120.105, lat=30.205, when=WHEN, **fields):
        title, description = text
        return self.intake(
            title=title, description=description, lng=lng, lat=lat, at=when, **fields
        )

    def numbers(self, case, user=None):
        found = duplicates.find_candidates(case, user or self.dispatcher)
        return [c.case.number for c in found]

    def test_a_near_identical_case_at_the_same_place_is_the_top_candidate(self):
        earlier = self.report(LITTER_AGAIN, lng=120.1053, when=WHEN - timedelta(days=2))
        nearby_other = self.report(LITTER_AGAIN, lng=120.1085, when=WHEN - timedelta(days=1))
        case = self.report(LITTER)
        found = duplicates.find_candidates(case, self.dispatcher)
        self.assertEqual([c.case.number for c in found], [earlier.number, nearby_other.number])
        top = found[0]
        self.assertGreater(top.similarity, 0.21)
        self.assertLess(top.distance_m, 50)
        self.assertIn(f"相距 {round(top.distance_m)} 米", top.explanation)
        self.assertTrue(top.phrases)

    def test_the_same_text_far_away_or_long_ago_is_not_a_candidate(self):
        self.report(LITTER_AGAIN, lng=120.125)  # the neighbouring community, ~2 km east
        self.report(LITTER_AGAIN, when=WHEN - timedelta(days=45))
        self.report(LITTER_AGAIN, when=WHEN + timedelta(days=45))
        self.assertEqual(self.numbers(self.report(LITTER)), [])

    def test_different_text_at_the_same_place_is_not_a_candidate(self):
        self.report(STREETLIGHT, lng=120.1051)
        self.assertEqual(self.numbers(self.report(LITTER)), [])

    def test_closed_and_merged_cases_are_not_candidates(self):
        closed = self.closed(at=WHEN - timedelta(days=3))
        self.assertEqual(closed.status, "closed")
        master = self.report(LITTER_AGAIN, when=WHEN - timedelta(days=2))
        merged = self.report(LITTER_AGAIN, when=WHEN - timedelta(days=1))
        self.act(self.dispatcher, merged, "merge", master=master.number)
        self.assertEqual(self.numbers(self.report(LITTER)), [master.number])

    def test_cases_outside_the_viewers_scope_never_appear(self):
        # Two points 100 m apart on either side of the border between two communities.
        case = self.report(LITTER, lng=120.1195)
        across = self.report(LITTER_AGAIN, lng=120.1205, when=WHEN - timedelta(days=1))
        self.assertEqual(across.region, self.neighbour_grid)
        self.assertEqual(self.numbers(case, self.dispatcher), [across.number])
        self.assertEqual(self.numbers(case, self.community_staff), [])
        self.assertEqual(self.numbers(case, self.outsider), [])
        self.assertEqual(self.numbers(case, self.handler), [])

    def test_a_point_in_the_other_datum_is_compared_at_the_same_place(self):
        lng, lat = (float(v) for v in gcj02_to_wgs84(120.105, 30.205))
        gps = self.report(LITTER_AGAIN, lng=lng, lat=lat, datum="wgs84", when=WHEN - timedelta(1))
        case = self.report(LITTER)
        found = duplicates.find_candidates(case, self.dispatcher)
        self.assertEqual([c.case.number for c in found], [gps.number])
        self.assertLess(found[0].distance_m, 5)

    def test_without_a_point_cases_of_the_same_community_are_compared(self):
        same = self.report(LITTER_AGAIN, lng=None, lat=None, region=self.grid.code)
        self.report(LITTER_AGAIN, lng=None, lat=None, region=self.neighbour_grid.code)
        case = self.report(LITTER, lng=None, lat=None, region=self.second_grid.code)
        found = duplicates.find_candidates(case, self.dispatcher)
        self.assertEqual([c.case.number for c in found], [same.number])
        self.assertIsNone(found[0].distance_m)

    def test_a_case_past_registration_gets_no_candidates(self):
        self.report(LITTER_AGAIN, when=WHEN - timedelta(days=1))
        case = self.report(LITTER)
        self.act(self.dispatcher, case, "register", category=self.litter.code)
        self.act(self.dispatcher, case, "dispatch")
        case.refresh_from_db()
        self.assertEqual(self.numbers(case), [])

    def test_the_candidate_query_is_one_query_whatever_the_number_of_rows(self):
        for i in range(5):
            self.report(LITTER_AGAIN, lng=120.105 + i * 0.0002, when=WHEN - timedelta(hours=i + 1))
        case = self.report(LITTER)
        case.region.refresh_from_db()
        with self.assertNumQueries(2):  # the community of the case, then the candidates
            found = duplicates.find_candidates(case, self.dispatcher)
        self.assertEqual(len(found), 5)


class SimilarityTests(CaseTestCase):
    def test_identical_texts_score_one_and_the_score_is_symmetric(self):
        self.assertAlmostEqual(duplicates.similarity(*LITTER, *LITTER), 1.0)
        self.assertAlmostEqual(
            duplicates.similarity(*LITTER, *LITTER_AGAIN),
            duplicates.similarity(*LITTER_AGAIN, *LITTER),
        )

    def test_a_rewording_scores_above_the_threshold_and_another_problem_below(self):
        threshold = duplicates.config()["MIN_SIMILARITY"]
        self.assertGreaterEqual(duplicates.similarity(*LITTER, *LITTER_AGAIN), threshold)
        self.assertLess(duplicates.similarity(*LITTER, *STREETLIGHT), threshold)

    def test_full_width_and_punctuation_do_not_matter(self):
        self.assertAlmostEqual(
            duplicates.similarity("ＡＢＣ小区，垃圾！", "", "abc小区垃圾", ""), 1.0, places=6
        )
