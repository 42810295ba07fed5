from django.urls import reverse

from gridgov.accounts.tests.base import make_user
from gridgov.notices.models import NotificationRead
from gridgov.notices.tests.base import NoticeTestCase


class ScopeTests(NoticeTestCase):
    def test_a_department_handler_sees_only_their_departments_notices(self):
        litter = self.dispatched()  # → 城管
        burst = self.dispatched(category=self.burst_main)  # → 水务
        [to_us] = self.notices_of(litter, "dispatch")
        [to_water] = self.notices_of(burst, "dispatch")

        response = self.page(self.handler)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(self.listed(response), {to_us.pk})
        self.assertContains(response, litter.number)
        self.assertContains(response, reverse("notices:open", args=[to_us.pk]))
        self.assertNotContains(response, burst.number)
        self.assertEqual(self.listed(self.page(self.water_handler)), {to_water.pk})

    def test_a_community_worker_sees_their_communitys_notices_only(self):
        flyposting = self.dispatched(category=self.flyposting)  # → 滨江社区
        [notice] = self.notices_of(flyposting, "dispatch")
        self.assertEqual(notice.office, self.community)

        self.assertEqual(self.listed(self.page(self.community_staff)), {notice.pk})
        for user in (self.outsider, self.handler, self.street_staff):
            with self.subTest(user=user.username):
                self.assertEqual(self.listed(self.page(user)), set())

    def test_another_units_notice_is_not_found_and_stays_unread(self):
        case = self.dispatched()
        [notice] = self.notices_of(case, "dispatch")
        self.login(self.water_handler)
        for url in (
            reverse("notices:read", args=[notice.pk]),
            reverse("notices:open", args=[notice.pk]),
        ):
            method = self.client.post if url.endswith("/read/") else self.client.get
            with self.subTest(url=url):
                self.assertEqual(method(url).status_code, 404)
        self.assertFalse(NotificationRead.objects.exists())

    def test_signed_out_visitors_are_sent_to_log_in(self):
        response = self.client.get(reverse("notices:list"))
        self.assertEqual(response.status_code, 302)
        self.assertIn(reverse("login"), response["Location"])

    def test_marking_read_needs_a_post(self):
        [notice] = self.notices_of(self.dispatched(), "dispatch")
        self.login(self.handler)
        self.assertEqual(
            self.client.get(reverse("notices:read", args=[notice.pk])).status_code, 405
        )
        self.assertEqual(self.client.get(reverse("notices:read_all")).status_code, 405)


class ReadStateTests(NoticeTestCase):
    def test_marking_one_read_leaves_it_unread_for_colleagues(self):
        colleague = make_user("dept2", "department_handler", department=self.department)
        first, second = self.dispatched(), self.dispatched()
        [notice] = self.notices_of(first, "dispatch")
        [other] = self.notices_of(second, "dispatch")
        self.login(self.handler)

        response = self.client.post(
            reverse("notices:read", args=[notice.pk]), {"next": reverse("notices:list")}
        )

        self.assertRedirects(response, reverse("notices:list"))
        self.assertEqual(self.unread_on_page(self.page(self.handler)), {other.pk})
        self.assertEqual(self.unread_on_page(self.page(colleague)), {notice.pk, other.pk})
        # Twice is harmless.
        self.client.post(reverse("notices:read", args=[notice.pk]))
        self.assertEqual(NotificationRead.objects.filter(user=self.handler).count(), 1)

    def test_mark_all_read_reads_what_is_there_and_not_what_comes_later(self):
        self.dispatched(), self.dispatched()
        self.login(self.handler)
        self.client.post(
            reverse("notices:read", args=[self.notices_of(self.dispatched(), "dispatch")[0].pk])
        )

        self.client.post(reverse("notices:read_all"))

        self.assertEqual(self.unread_on_page(self.page(self.handler)), set())
        # The marker now says it all: the single read rows below it are gone.
        self.assertFalse(NotificationRead.objects.filter(user=self.handler).exists())
        later = self.dispatched()
        [notice] = self.notices_of(later, "dispatch")
        self.assertEqual(self.unread_on_page(self.page(self.handler)), {notice.pk})

    def test_opening_the_case_from_a_notice_marks_it_read(self):
        case = self.dispatched()
        [notice] = self.notices_of(case, "dispatch")
        self.login(self.handler)

        response = self.client.get(reverse("notices:open", args=[notice.pk]))

        self.assertRedirects(response, reverse("cases:detail", args=[case.number]))
        self.assertEqual(self.unread_on_page(self.page(self.handler)), set())

    def test_a_foreign_next_address_is_not_followed(self):
        [notice] = self.notices_of(self.dispatched(), "dispatch")
        self.login(self.handler)
        response = self.client.post(
            reverse("notices:read", args=[notice.pk]), {"next": "https://evil.example/"}
        )
        self.assertRedirects(response, reverse("notices:list"))


class HeaderCountTests(NoticeTestCase):
    def badge(self, user):
        self.login(user)
        response = self.client.get(reverse("profile"))
        return response.context.get("unread_notices"), response.content.decode()

    def test_staff_see_their_unread_count_on_every_page(self):
        self.dispatched(), self.dispatched()
        count, html = self.badge(self.handler)
        self.assertEqual(count, 2)
        self.assertIn(reverse("notices:list"), html)
        self.assertRegex(html, r'class="notices-link">[^<]*<span class="badge"[^>]*>2</span>')

        self.client.post(reverse("notices:read_all"))
        count, html = self.badge(self.handler)
        self.assertEqual(count, 0)
        self.assertIn(reverse("notices:list"), html)
        self.assertNotRegex(html, r'class="notices-link">[^<]*<span')

    def test_residents_have_no_message_centre_link(self):
        count, html = self.badge(self.resident)
        self.assertIsNone(count)
        self.assertNotIn(reverse("notices:list"), html)


class PageTests(NoticeTestCase):
    def test_notices_are_newest_first_and_filterable_by_kind(self):
        case = self.dispatched()
        self.act(self.handler, case, "return", reason="不归我们管")
        self.act(self.dispatcher, case, "dispatch", departments=[self.department.code])
        self.act(self.leader, case, "supervise", reason="请加快")

        response = self.page(self.handler)
        kinds = [kind.key for _notice, kind in response.context["rows"]]
        self.assertEqual(kinds, ["supervision", "new", "new"])
        counts = dict((kind.key, unread) for kind, unread in response.context["kinds"])
        self.assertEqual((counts["new"], counts["supervision"], counts["returned"]), (2, 1, 0))

        response = self.page(self.handler, kind="supervision")
        self.assertEqual([kind.key for _notice, kind in response.context["rows"]], ["supervision"])
        self.assertContains(response, "请加快")

    def test_unread_only_hides_what_was_read(self):
        first, second = self.dispatched(), self.dispatched()
        [read] = self.notices_of(first, "dispatch")
        [unread] = self.notices_of(second, "dispatch")
        self.login(self.handler)
        self.client.post(reverse("notices:read", args=[read.pk]))
        self.assertEqual(self.listed(self.page(self.handler, unread="1")), {unread.pk})

    def test_the_page_costs_the_same_queries_for_few_or_many_notices(self):
        self.dispatched()
        self.login(self.handler)
        self.client.get(reverse("notices:list"))  # warm the session and caches

        def queries():
            with self.assertNumQueries(5) as context:
                self.client.get(reverse("notices:list"))
            return len(context.captured_queries)

        few = queries()
        for _ in range(12):
            case = self.dispatched()
            self.act(self.leader, case, "supervise", reason="请加快")
        self.assertEqual(queries(), few)

    def test_pages_walk_past_the_first_25(self):
        for _ in range(13):
            case = self.dispatched()
            self.act(self.leader, case, "supervise", reason="请加快")
        response = self.page(self.handler, kind="", page="2")
        self.assertEqual(len(response.context["rows"]), 1)
        self.assertContains(response, "page=1")
