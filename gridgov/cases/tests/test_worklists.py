"""The staff worklists as their users meet them: search, tab counts, the time left, the area
picker, sortable columns, the dissatisfied follow-ups, and a resident's own list."""

import re
from datetime import timedelta
from io import BytesIO

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.cases.models import Case, PersonalDataAccess
from gridgov.cases.tests.base import CaseTestCase

WORKLIST = reverse("cases:worklist")
PHONE = "13812341234"


def numbers(response) -> list[str]:
    """The case numbers listed, in the page's order."""
    return re.findall(r'class="number"><a href="[^"]+">([\d-]+)</a>', response.content.decode())


def tab_count(response, key) -> str | None:
    match = re.search(rf'list={key}"[^>]*>[^<]*<span class="count">(\d+)</span>', response.text)
    return match[1] if match else None


class SearchTests(CaseTestCase):
    def setUp(self):
        self.mine = self.registered()
        self.other = self.intake(
            title="路灯不亮",
            description="三号楼前的路灯一周没亮。",
            reporter_phone="13900001111",
            reporter_name="李四",
        )
        self.act(self.dispatcher, self.other, "register", category=self.litter.code)

    def search(self, user, text, **params):
        self.login(user)
        return self.client.get(WORKLIST, {"list": "all", "q": text, **params})

    def test_a_case_number_finds_that_case_alone(self):
        response = self.search(self.dispatcher, f" {self.other.number} ")
        self.assertEqual(numbers(response), [self.other.number])

    def test_a_keyword_searches_titles_and_descriptions(self):
        self.assertEqual(numbers(self.search(self.dispatcher, "路灯")), [self.other.number])
        self.assertEqual(numbers(self.search(self.dispatcher, "清运")), [self.mine.number])

    def test_a_dispatcher_finds_a_reporters_cases_by_phone_and_the_search_is_audited(self):
        # Typed as people type it, in full-width digits with spaces.
        response = self.search(self.dispatcher, "１３８ １２３４ １２３４")
        self.assertEqual(numbers(response), [self.mine.number])
        access = PersonalDataAccess.objects.get()
        self.assertEqual(
            (access.user, access.case, access.reporter),
            (self.dispatcher, self.mine, self.mine.reporter),
        )

    def test_a_grid_worker_may_not_search_by_phone_and_learns_nothing(self):
        # The phone written into a description must not be found by its digits either.
        self.intake(title="噪音", description=f"请回电 {PHONE}")
        response = self.search(self.grid_worker, PHONE)
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "不能按诉求人电话搜索", status_code=400)
        self.assertEqual(numbers(response), [])
        self.assertEqual(tab_count(response, "all"), "0")
        self.assertFalse(PersonalDataAccess.objects.exists())

    def test_a_unit_finds_by_phone_only_the_cases_its_unit_handles(self):
        self.act(self.dispatcher, self.mine, "dispatch")
        self.assertEqual(numbers(self.search(self.handler, PHONE)), [self.mine.number])
        # The community office sees the case in its area but is not handling it.
        response = self.search(self.community_staff, PHONE)
        self.assertEqual(numbers(response), [])
        self.assertEqual(PersonalDataAccess.objects.filter(user=self.community_staff).count(), 0)

    def test_an_export_found_by_phone_is_audited_case_by_case(self):
        self.login(self.dispatcher)
        response = self.client.get(reverse("cases:export"), {"list": "all", "q": PHONE})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            list(PersonalDataAccess.objects.values_list("case", "user")),
            [(self.mine.pk, self.dispatcher.pk)],
        )

    def test_the_export_follows_the_search(self):
        self.login(self.dispatcher)
        response = self.client.get(reverse("cases:export"), {"list": "all", "q": "路灯"})
        rows = list(load_workbook(BytesIO(response.content)).active.iter_rows(values_only=True))
        self.assertEqual([row[0] for row in rows[1:]], [self.other.number])


class TabCountTests(CaseTestCase):
    def test_each_tab_shows_how_many_cases_it_holds_under_the_filters(self):
        self.intake()
        self.registered()
        self.registered(category=self.flyposting)
        self.dispatched()
        self.login(self.dispatcher)
        response = self.client.get(WORKLIST)
        self.assertEqual(
            [tab_count(response, key) for key in ("to_register", "to_dispatch", "overdue")],
            ["1", "2", "0"],
        )
        # All cases is counted when it is shown, by its pager, not on every page.
        self.assertIsNone(tab_count(response, "all"))
        self.assertEqual(tab_count(self.client.get(WORKLIST, {"list": "all"}), "all"), "4")
        response = self.client.get(WORKLIST, {"category": self.flyposting.code})
        self.assertEqual(tab_count(response, "to_dispatch"), "1")

    def test_the_page_reads_a_fixed_number_of_queries_however_many_cases(self):
        self.login(self.dispatcher)
        self.registered()
        url = f"{WORKLIST}?list=to_dispatch&q=垃圾&sort=deadline"
        self.client.get(url)
        with self.assertNumQueries(11):
            self.client.get(url)
        for _ in range(4):
            self.registered()
        with self.assertNumQueries(11):
            response = self.client.get(url)
        self.assertEqual(len(numbers(response)), 5)

    def test_a_units_page_reads_as_many_queries_for_one_case_as_for_five(self):
        self.login(self.handler)
        self.dispatched()
        url = f"{WORKLIST}?list=to_accept"
        self.client.get(url)
        with CaptureQueriesContext(connection) as one:
            self.client.get(url)
        for _ in range(4):
            self.dispatched()
        with CaptureQueriesContext(connection) as five:
            response = self.client.get(url)
        self.assertEqual(len(numbers(response)), 5)
        self.assertEqual(len(five.captured_queries), len(one.captured_queries))


class DeadlineTextTests(CaseTestCase):
    def test_the_time_left_or_past_is_written_beside_the_colour_with_a_legend(self):
        late = self.dispatched(at=timezone.now() - timedelta(days=40))
        fresh = self.dispatched()
        self.login(self.handler)
        response = self.client.get(WORKLIST, {"list": "to_accept"})
        rows = {
            number: row
            for row in response.text.split("<tr")
            for number in (late.number, fresh.number)
            if number in row
        }
        self.assertRegex(rows[late.number], r"dot overdue.*超期 \d+ 天")
        self.assertRegex(rows[fresh.number], r"dot (ok|approaching).*剩 \d+ (小时|分钟)")
        for label in ("按期", "临期", "超期", "无时限"):
            self.assertContains(response, label)


class AreaPickerTests(CaseTestCase):
    def test_the_area_is_picked_by_name_among_those_in_scope(self):
        self.login(self.dispatcher)
        response = self.client.get(WORKLIST)
        self.assertContains(response, f'<option value="{self.community.code}">')
        self.assertContains(response, "滨江社区")
        self.assertNotContains(response, "湖心社区")
        self.assertContains(response, '<option value="滨江社区第01网格">滨江社区</option>')

    def test_city_wide_the_communities_of_the_street_picked_are_offered(self):
        self.login(self.admin)
        community = f'<option value="{self.community.code}">'
        response = self.client.get(WORKLIST)
        self.assertContains(response, f'<option value="{self.street.code}">')
        self.assertContains(response, f'<option value="{self.other_street.code}">')
        self.assertNotContains(response, community)
        response = self.client.get(WORKLIST, {"region": self.street.code})
        self.assertContains(response, community)
        self.assertNotContains(response, f'<option value="{self.other_community.code}">')

    def test_picking_an_area_or_a_grid_by_name_narrows_the_list(self):
        here = self.registered()
        there = self.intake(lng=120.125, lat=30.205)
        self.act(self.dispatcher, there, "register", category=self.litter.code)
        self.login(self.dispatcher)
        response = self.client.get(WORKLIST, {"list": "all", "region": self.community.code})
        self.assertEqual(numbers(response), [here.number])
        response = self.client.get(WORKLIST, {"list": "all", "grid": "临河社区第01网格"})
        self.assertEqual(numbers(response), [there.number])
        # Links may still name an area, a grid too, by its code.
        response = self.client.get(WORKLIST, {"list": "all", "region": self.grid.code})
        self.assertEqual(numbers(response), [here.number])
        self.assertContains(response, f'<option value="{self.grid.code}" selected>')

    def test_an_area_outside_the_scope_is_refused_like_an_unknown_one(self):
        self.registered()
        self.login(self.dispatcher)
        for code in (self.other_community.code, "999999999999"):
            response = self.client.get(WORKLIST, {"list": "all", "region": code})
            self.assertContains(response, "没有此代码的区域", status_code=400)
            self.assertEqual(numbers(response), [])
        response = self.client.get(reverse("cases:export"), {"region": self.other_community.code})
        self.assertEqual(response.status_code, 400)


class SortTests(CaseTestCase):
    def setUp(self):
        start = timezone.now() - timedelta(hours=3)
        self.first = self.registered(at=start)
        self.second = self.registered(at=start + timedelta(hours=1))
        self.third = self.intake(at=start + timedelta(hours=2))  # no deadline step yet
        self.login(self.dispatcher)

    def listed(self, sort):
        response = self.client.get(WORKLIST, {"list": "all", "sort": sort})
        self.assertEqual(response.status_code, 200)
        return numbers(response)

    def test_columns_sort_both_ways(self):
        newest_first = [self.third.number, self.second.number, self.first.number]
        self.assertEqual(self.listed("-received"), newest_first)
        self.assertEqual(self.listed("received"), newest_first[::-1])
        self.assertEqual(self.listed("number"), sorted(newest_first))
        self.assertEqual(self.listed("-number"), sorted(newest_first, reverse=True))
        # Received cases come before registered ones in the loop's order.
        self.assertEqual(self.listed("status")[0], self.third.number)

    def test_by_deadline_the_soonest_first_and_cases_without_one_last(self):
        now = timezone.now()
        Case.objects.filter(pk=self.first.pk).update(due_at=now + timedelta(hours=5))
        Case.objects.filter(pk=self.second.pk).update(due_at=now + timedelta(hours=9))
        Case.objects.filter(pk=self.third.pk).update(due_at=None)
        self.assertEqual(
            self.listed("deadline"), [self.first.number, self.second.number, self.third.number]
        )
        self.assertEqual(self.listed("-deadline")[-1], self.third.number)

    def test_an_unknown_sort_is_ignored(self):
        for sort in ("title", "--number", "'; drop table cases_case; --", "-"):
            self.assertEqual(self.listed(sort)[0], self.third.number)

    def test_the_headers_link_to_the_other_direction(self):
        response = self.client.get(WORKLIST, {"list": "all", "sort": "number"})
        self.assertContains(response, 'aria-sort="ascending"')
        self.assertContains(response, "sort=-number")


class DissatisfiedTests(CaseTestCase):
    def rated(self, solved, satisfaction):
        case = self.closed()
        return self.act(self.dispatcher, case, "rate", solved=solved, satisfaction=satisfaction)

    def test_the_dispatcher_finds_bad_follow_ups_and_reopens_them_from_the_list(self):
        not_solved = self.rated("false", "basically_satisfied")
        unhappy = self.rated("true", "unsatisfied")
        content = self.rated("true", "satisfied")
        self.login(self.dispatcher)
        response = self.client.get(WORKLIST, {"list": "dissatisfied"})
        self.assertEqual(sorted(numbers(response)), sorted([not_solved.number, unhappy.number]))
        self.assertNotIn(content.number, numbers(response))
        self.assertEqual(tab_count(response, "dissatisfied"), "2")
        reopen = reverse("cases:act", args=[unhappy.number, "reopen"])
        self.assertContains(response, f'action="{reopen}"')

        unhappy.refresh_from_db()
        response = self.client.post(
            reopen, {"reason": "居民回访不满意", "version": unhappy.version}
        )
        self.assertEqual(response.status_code, 302)
        unhappy.refresh_from_db()
        self.assertEqual((unhappy.status, unhappy.reopen_count), ("handling", 1))
        response = self.client.get(WORKLIST, {"list": "dissatisfied"})
        self.assertEqual(numbers(response), [not_solved.number])

    def test_units_have_no_such_list(self):
        self.login(self.handler)
        response = self.client.get(WORKLIST, {"list": "dissatisfied"})
        self.assertEqual(response.status_code, 404)


class ResidentTests(CaseTestCase):
    def test_a_resident_sees_their_own_reports_simply_and_may_not_export(self):
        own = self.intake(actor=self.resident, channel="web", title="楼道灯坏了")
        others = self.intake(reporter_phone="13900001111")
        self.login(self.resident)
        response = self.client.get(WORKLIST)
        self.assertContains(response, own.number)
        self.assertContains(response, "楼道灯坏了")
        self.assertContains(response, reverse("cases:detail", args=[own.number]))
        self.assertNotContains(response, others.number)
        for staff_only in ('name="q"', 'name="region"', reverse("cases:export"), "tabs"):
            self.assertNotContains(response, staff_only)
        response = self.client.get(reverse("cases:export"))
        self.assertEqual(response.status_code, 403)
