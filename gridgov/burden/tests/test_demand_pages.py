"""The burden pages through the browser's door: sending a demand, the demand's page, a
community's inbox and answers, the sender's and the burden office's decisions, the
admission list; who may see what (404 outside, 403 for a command the role does not have)."""

from datetime import timedelta

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from gridgov.accounts.choices import Role
from gridgov.accounts.tests.base import make_user
from gridgov.burden.choices import Admission, DemandKind, RecipientState, Ruling
from gridgov.burden.models import Demand, DemandRecipient
from gridgov.burden.tests.base import BurdenTestCase
from gridgov.web.tests.test_home_and_nav import nav_links

NEW = reverse("burden:demand_new")


def demand_url(demand):
    return reverse("burden:demand", args=[demand.pk])


def received_url(recipient):
    return reverse("burden:received", args=[recipient.pk])


class PagesTestCase(BurdenTestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.neighbour_staff = make_user("neighbour", Role.COMMUNITY_STAFF, cls.neighbour_community)

    def form(self, **fields):
        data = {
            "kind": DemandKind.DATA_REQUEST,
            "title": "高龄老人名单核实",
            "description": "请核实本社区80岁以上老人名单",
            "working_days": "5",
            "recipients": [self.community.code, self.neighbour_community.code],
            "matter": self.matter.code,
        }
        data.update(fields)
        return data

    def recipient(self, demand, region=None):
        return demand.recipients.get(region=region or self.community)


class SendPageTests(PagesTestCase):
    def test_a_demand_under_a_matter_reaches_the_communities(self):
        self.login(self.handler)
        page = self.client.get(NEW)
        self.assertContains(page, self.neighbour_community.name)
        self.assertContains(page, self.matter.basis)
        self.assertContains(page, 'name="matter" value=""')
        response = self.client.post(NEW, self.form())
        demand = Demand.objects.get()
        self.assertRedirects(response, demand_url(demand))
        self.assertEqual(demand.admission, Admission.ADMITTED)
        self.assertEqual(demand.recipients.count(), 2)
        shown = self.client.get(demand_url(demand))
        self.assertContains(shown, timezone.localtime(demand.due_at).strftime("%Y-%m-%d %H:%M"))
        self.assertContains(shown, self.matter.title)

    def test_without_a_matter_it_is_held_and_a_campaign_for_votes_is_refused(self):
        self.login(self.handler)
        self.client.post(NEW, self.form(matter=""))
        held = Demand.objects.get()
        self.assertEqual(held.admission, Admission.HELD)
        response = self.client.post(
            NEW, self.form(kind=DemandKind.CAMPAIGN, asks_for_engagement="on", title="投票")
        )
        refused = Demand.objects.get(title="投票")
        self.assertEqual(refused.admission, Admission.REFUSED)
        self.assertContains(self.client.get(response["Location"]), escape(refused.decision_reason))

    def test_bad_input_is_shown_again_with_its_errors_and_nothing_is_saved(self):
        self.login(self.handler)
        response = self.client.post(
            NEW, self.form(title="  ", working_days="0", recipients=[], description="要数据")
        )
        self.assertEqual(response.status_code, 400)
        errors = response.context["form"].errors
        self.assertEqual(set(errors), {"title", "working_days", "recipients"})
        self.assertContains(response, "要数据", status_code=400)
        self.assertFalse(Demand.objects.exists())

    def test_a_place_outside_the_senders_area_is_refused_by_name(self):
        self.login(self.street_staff)
        for code, named in (
            (self.other_community.code, self.other_community.name),
            ("990199999999", "990199999999"),
        ):
            with self.subTest(code=code):
                response = self.client.post(NEW, self.form(recipients=[code]))
                self.assertEqual(response.status_code, 400)
                self.assertIn(named, response.context["form"].errors["recipients"][0])
        self.assertFalse(Demand.objects.exists())

    def test_the_flags_show_and_a_repeat_links_the_earlier_demand(self):
        first = self.send()
        again = self.send(working_days=1)
        self.login(self.handler)
        response = self.client.get(demand_url(again))
        self.assertTrue(again.short_deadline)
        self.assertEqual(response.context["repeat_of"], first)
        self.assertContains(response, f'href="{demand_url(first)}"')

    def test_only_senders_have_the_form(self):
        for user in (self.community_staff, self.grid_worker, self.resident, self.dispatcher):
            self.login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(NEW).status_code, 404)
        self.client.logout()
        self.assertIn("/login/", self.client.get(NEW)["Location"])


class OverviewTests(PagesTestCase):
    def test_each_role_sees_its_sections_and_the_others_get_404(self):
        self.send()
        self.send(matter=None, title="临时统计")
        overview = reverse("burden:overview")
        self.login(self.handler)
        response = self.client.get(overview)
        self.assertEqual(response.context["sent_total"], 2)
        self.assertNotIn("inbox_figures", response.context)
        self.login(self.community_staff)
        response = self.client.get(overview)
        self.assertNotIn("sent_total", response.context)
        self.assertIn((RecipientState.RECEIVED, 1), response.context["inbox_figures"])
        self.login(self.burden_office)
        response = self.client.get(overview)
        self.assertEqual(response.context["office_held"], 1)
        self.assertContains(response, f'href="{reverse("observatory:page")}"')
        for user in (self.grid_worker, self.resident, self.dispatcher):
            self.login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(overview).status_code, 404)
                self.assertNotIn(overview, nav_links(self.client.get(reverse("cases:worklist"))))
        self.login(self.community_staff)
        self.assertIn(overview, nav_links(self.client.get(reverse("cases:worklist"))))


class DemandPageTests(PagesTestCase):
    def test_the_places_it_went_to_see_their_own_row_and_others_get_404(self):
        demand = self.send(recipients=[self.community])
        for user in (self.handler, self.leader, self.street_staff, self.community_staff):
            self.login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(demand_url(demand)).status_code, 200)
        for user in (self.neighbour_staff, self.outsider, self.grid_worker, self.resident):
            self.login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(demand_url(demand)).status_code, 404)
        both = self.send(recipients=[self.community, self.neighbour_community], title="别的")
        self.login(self.community_staff)
        rows = self.client.get(demand_url(both)).context["recipients"]
        self.assertEqual([row.region for row in rows], [self.community])

    def test_a_held_demand_is_not_shown_to_the_places_it_names(self):
        demand = self.send(matter=None)
        self.login(self.community_staff)
        self.assertEqual(self.client.get(demand_url(demand)).status_code, 404)
        self.assertEqual(self.client.get(reverse("burden:inbox")).context["total"], 0)


class OfficeTests(PagesTestCase):
    def decide(self, user, demand, **data):
        self.login(user)
        return self.client.post(reverse("burden:demand_decision", args=[demand.pk]), data)

    def test_the_office_admits_a_held_demand_with_a_reason_and_the_sender_reads_it(self):
        demand = self.send(matter=None)
        self.login(self.burden_office)
        self.assertEqual(list(self.client.get(reverse("burden:office")).context["held"]), [demand])
        response = self.decide(self.burden_office, demand, decision="yes", reason="防汛急需")
        self.assertRedirects(response, demand_url(demand))
        demand.refresh_from_db()
        self.assertEqual(demand.admission, Admission.EXCEPTION)
        self.assertEqual(demand.decided_by, self.burden_office)
        self.login(self.handler)
        self.assertContains(self.client.get(demand_url(demand)), "防汛急需")

    def test_a_decision_without_reason_or_by_the_wrong_role_changes_nothing(self):
        demand = self.send(matter=None)
        response = self.decide(self.burden_office, demand, decision="no", reason=" ")
        self.assertEqual(response.status_code, 400)
        self.assertIn("reason", response.context["decision_form"].errors)
        self.assertEqual(
            self.decide(self.handler, demand, decision="no", reason="不").status_code, 403
        )
        self.assertEqual(
            self.decide(self.community_staff, demand, decision="no", reason="不").status_code, 404
        )
        demand.refresh_from_db()
        self.assertEqual(demand.admission, Admission.HELD)

    def test_the_office_sees_only_its_scope_and_others_get_404(self):
        self.send(self.admin, matter=None, recipients=[self.other_community])
        self.login(self.burden_office)
        self.assertEqual(list(self.client.get(reverse("burden:office")).context["held"]), [])
        for user in (self.street_staff, self.community_staff, self.handler):
            self.login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(reverse("burden:office")).status_code, 404)

    def test_an_objection_goes_to_the_office_which_dismisses_or_upholds_it(self):
        demand = self.send(recipients=[self.community, self.neighbour_community])
        recipient = self.recipient(demand)
        self.login(self.community_staff)
        self.client.post(received_url(recipient), {"action": "objected", "objection": "非社区职责"})
        self.login(self.burden_office)
        self.assertEqual(
            list(self.client.get(reverse("burden:office")).context["objections"]), [recipient]
        )
        url = reverse("burden:objection_decision", args=[recipient.pk])
        self.assertEqual(self.client.post(url, {"decision": "no"}).status_code, 400)
        self.client.post(url, {"decision": "no", "reason": "属于准入事项"})
        recipient.refresh_from_db()
        self.assertEqual(recipient.state, RecipientState.RECEIVED)
        self.assertEqual(
            (recipient.objection, recipient.ruling, recipient.ruled_by, recipient.ruling_reason),
            ("非社区职责", Ruling.OVERRULED, self.burden_office, "属于准入事项"),
        )
        neighbours = self.recipient(demand, self.neighbour_community)
        self.login(self.neighbour_staff)
        self.client.post(received_url(neighbours), {"action": "objected", "objection": "再议"})
        url = reverse("burden:objection_decision", args=[neighbours.pk])
        self.assertEqual(self.client.post(url, {"decision": "yes", "reason": "x"}).status_code, 403)
        self.login(self.burden_office)
        self.client.post(url, {"decision": "yes", "reason": "确非社区职责"})
        neighbours.refresh_from_db()
        self.assertEqual(neighbours.state, RecipientState.WITHDRAWN)
        self.assertEqual(neighbours.ruling, Ruling.UPHELD)


class RulingTests(PagesTestCase):
    """The burden office's ruling on an objection: kept beside it, shown wherever the
    objection is, and final."""

    def setUp(self):
        self.demand = self.send()
        self.recipient = self.recipient(self.demand)
        self.login(self.community_staff)
        self.client.post(
            received_url(self.recipient), {"action": "objected", "objection": "非社区职责"}
        )
        self.url = reverse("burden:objection_decision", args=[self.recipient.pk])

    def rule(self, decision="no", reason="属于准入事项第12项"):
        self.login(self.burden_office)
        return self.client.post(self.url, {"decision": decision, "reason": reason})

    def test_the_ruling_shows_on_the_demand_the_communitys_copy_and_the_office_list(self):
        self.assertRedirects(self.rule(), demand_url(self.demand))
        self.recipient.refresh_from_db()
        when = timezone.localtime(self.recipient.ruled_at).strftime("%Y-%m-%d %H:%M")
        pages = [
            (self.burden_office, demand_url(self.demand)),
            (self.handler, demand_url(self.demand)),
            (self.community_staff, received_url(self.recipient)),
            (self.burden_office, reverse("burden:office")),
        ]
        for user, url in pages:
            self.login(user)
            with self.subTest(user=user.username, url=url):
                response = self.client.get(url)
                self.assertContains(response, 'data-ruling="overruled"', count=1)
                self.assertContains(response, escape(Ruling.OVERRULED.label))
                self.assertContains(response, str(self.burden_office))
                self.assertContains(response, when)
                self.assertContains(response, "属于准入事项第12项")
                self.assertContains(response, "非社区职责")
        self.login(self.burden_office)
        office = self.client.get(reverse("burden:office")).context
        self.assertEqual(list(office["objections"]), [])
        self.assertEqual(list(office["rulings"]), [self.recipient])

    def test_ruling_twice_is_refused_by_name_and_changes_nothing(self):
        self.rule("yes", "同意撤回")
        self.recipient.refresh_from_db()
        before = DemandRecipient.objects.filter(pk=self.recipient.pk).values().get()
        response = self.rule("no", "再裁定")
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "减负办已对该异议作出认定", status_code=400)
        self.assertContains(response, escape(Ruling.UPHELD.label), status_code=400)
        self.assertEqual(
            DemandRecipient.objects.filter(pk=self.recipient.pk).values().get(), before
        )

    def test_an_overruled_community_cannot_object_again(self):
        self.rule()
        self.login(self.community_staff)
        url = received_url(self.recipient)
        offered = [action["state"] for action in self.client.get(url).context["actions"]]
        self.assertNotIn(RecipientState.OBJECTED, offered)
        response = self.client.post(url, {"action": "objected", "objection": "仍有异议"})
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "不能再次提出异议", status_code=400)
        self.recipient.refresh_from_db()
        self.assertEqual(
            (self.recipient.state, self.recipient.objection),
            (RecipientState.RECEIVED, "非社区职责"),
        )


class InboxTests(PagesTestCase):
    def test_the_inbox_lists_what_reached_the_community_with_tabs_and_overdue(self):
        late = self.send(now=timezone.now() - timedelta(days=40), title="旧的")
        self.send(title="新的")
        self.send(matter=None, title="挂起的")
        self.login(self.community_staff)
        response = self.client.get(reverse("burden:inbox"))
        rows = response.context["page"].object_list
        self.assertEqual([row.demand.title for row in rows], ["新的", "旧的"])
        self.assertEqual([row.overdue for row in rows], [False, True])
        self.assertEqual(self.client.get(reverse("burden:overview")).context["inbox_overdue"], 1)
        DemandRecipient.objects.filter(demand=late).update(state=RecipientState.ANSWERED)
        answered = self.client.get(reverse("burden:inbox"), {"state": "answered"})
        self.assertEqual([row.demand for row in answered.context["page"].object_list], [late])
        self.assertEqual(self.client.get(reverse("burden:inbox"), {"state": "x"}).status_code, 404)
        for user in (self.grid_worker, self.handler, self.resident):
            self.login(user)
            with self.subTest(user=user.username):
                self.assertEqual(self.client.get(reverse("burden:inbox")).status_code, 404)

    def test_the_community_accepts_answers_and_its_typing_is_kept_on_refusal(self):
        recipient = self.recipient(self.send())
        url = received_url(recipient)
        self.login(self.neighbour_staff)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.login(self.community_staff)
        self.assertRedirects(self.client.post(url, {"action": "accepted"}), url)
        response = self.client.post(url, {"action": "answered", "answer": " "})
        self.assertEqual(response.status_code, 400)
        response = self.client.post(url, {"action": "objected", "objection": ""})
        self.assertContains(response, "data-action", status_code=400)
        self.client.post(url, {"action": "answered", "answer": "已核实，共12人"})
        recipient.refresh_from_db()
        self.assertEqual(
            (recipient.state, recipient.answer), (RecipientState.ANSWERED, "已核实，共12人")
        )
        # Answered, nothing more to do: a late post is refused and shown above the page.
        response = self.client.post(url, {"action": "accepted"})
        self.assertEqual(response.status_code, 400)
        self.assertIsNotNone(response.context["stray"])

    def test_more_time_is_asked_by_the_community_and_granted_by_the_sender(self):
        demand = self.send()
        recipient = self.recipient(demand)
        due = timezone.localdate(demand.due_at)
        self.login(self.community_staff)
        response = self.client.post(
            received_url(recipient),
            {"action": "extension_asked", "extension_until": due.isoformat()},
        )
        self.assertEqual(response.status_code, 400)
        self.assertContains(response, f'value="{due.isoformat()}"', status_code=400)
        later = due + timedelta(days=7)
        self.client.post(
            received_url(recipient), {"action": "extension_asked", "extension_until": later}
        )
        url = reverse("burden:extension_decision", args=[recipient.pk])
        self.assertEqual(self.client.post(url, {"decision": "yes"}).status_code, 403)
        self.login(self.neighbour_staff)
        self.assertEqual(self.client.post(url, {"decision": "yes"}).status_code, 404)
        self.login(self.handler)
        self.assertEqual(
            self.client.get(reverse("burden:overview")).context["extensions_waiting"], 1
        )
        self.assertRedirects(self.client.post(url, {"decision": "yes"}), demand_url(demand))
        recipient.refresh_from_db()
        self.assertEqual(recipient.state, RecipientState.ACCEPTED)
        self.assertTrue(recipient.extension_granted)
        self.assertEqual(timezone.localdate(recipient.due_at), later)
        response = self.client.post(url, {"decision": "no"})
        self.assertEqual(response.status_code, 400)
        self.assertIsNotNone(response.context["stray"])
        self.assertFalse(DemandRecipient.objects.filter(extension_granted=False).exists())


class AdmissionListTests(PagesTestCase):
    def test_the_list_and_each_matters_approved_versions(self):
        self.login(self.community_staff)
        response = self.client.get(reverse("burden:matters"))
        self.assertContains(response, self.matter.title)
        response = self.client.get(reverse("burden:matter", args=[self.matter.code]))
        self.assertContains(response, "江州市减负办〔2024〕1号")
        self.assertContains(response, str(self.admin))
        self.assertContains(response, self.department.name)
        self.login(self.grid_worker)
        self.assertEqual(self.client.get(reverse("burden:matters")).status_code, 404)


class QueryCountTests(PagesTestCase):
    def count_queries(self, url):
        with CaptureQueriesContext(connection) as queries:
            self.assertEqual(self.client.get(url).status_code, 200)
        return len(queries)

    def test_the_lists_read_a_fixed_number_of_queries_however_many_demands(self):
        self.send(title="一")
        self.login(self.street_staff)
        pages = [reverse("burden:overview"), reverse("burden:inbox")]
        before = [self.count_queries(url) for url in pages]
        for n in range(4):
            self.send(title=f"再{n}", recipients=[self.community, self.neighbour_community])
        self.assertEqual([self.count_queries(url) for url in pages], before)


class MethodTests(PagesTestCase):
    def test_the_decisions_take_only_a_post_and_a_visitor_is_sent_to_log_in(self):
        demand = self.send(matter=None)
        recipient = self.recipient(demand)
        urls = [
            reverse("burden:demand_decision", args=[demand.pk]),
            reverse("burden:extension_decision", args=[recipient.pk]),
            reverse("burden:objection_decision", args=[recipient.pk]),
        ]
        for url in urls:
            with self.subTest(url=url):
                self.assertIn("/login/", self.client.post(url, {"decision": "yes"})["Location"])
        self.login(self.burden_office)
        for url in urls:
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 405)
        demand.refresh_from_db()
        self.assertEqual(demand.admission, Admission.HELD)
