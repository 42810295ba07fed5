"""Home and the header's menu for each kind of user: a superuser's home covers the whole
tree, a resident's starts with reporting a problem, and no menu links to a page that
refuses its user."""

import re

from django.urls import reverse

from gridgov.accounts.tests.base import CastTestCase
from gridgov.cases import services


def nav_links(response) -> list[str]:
    html = response.content.decode()
    nav = html[html.index("<nav>") : html.index("</nav>")]
    return re.findall(r'href="([^"]+)"', nav)


class SuperuserHomeTests(CastTestCase):
    def test_a_superuser_acts_over_the_whole_tree_with_the_city_view(self):
        self.login(self.admin)
        response = self.client.get(reverse("home"))
        self.assertContains(response, "全部区域")
        self.assertContains(response, "江州市")
        self.assertContains(response, f'href="{reverse("dashboard")}"')
        self.assertNotContains(response, "没有可查看的范围")
        self.assertEqual(dict(response.context["area_counts"])["区（县）"], 2)
        self.assertEqual(self.client.get(reverse("dashboard")).status_code, 200)


class ResidentHomeTests(CastTestCase):
    def report(self, title):
        data = {
            "channel": "web",
            "case_type": "complaint",
            "title": title,
            "description": "楼下路灯坏了三天。",
            "lng": 120.105,
            "lat": 30.205,
            "datum": "gcj02",
        }
        return services.intake_case(self.resident, data).case

    def test_a_resident_home_offers_to_report_and_lists_their_own_cases(self):
        mine = self.report("路灯不亮")
        self.login(self.resident)
        response = self.client.get(reverse("home"))
        self.assertContains(response, f'href="{reverse("public_report")}"')
        self.assertContains(response, mine.number)
        self.assertContains(response, "路灯不亮")

    def test_a_resident_with_no_reports_is_told_so(self):
        self.login(self.resident)
        self.assertContains(self.client.get(reverse("home")), "您还没有反映过问题")


class NavTests(CastTestCase):
    def test_every_menu_link_opens_for_each_role(self):
        for user in (
            self.resident,
            self.admin,
            self.leader,
            self.dispatcher,
            self.street_staff,
            self.community_staff,
            self.grid_worker,
            self.handler,
        ):
            self.login(user)
            links = nav_links(self.client.get(reverse("cases:worklist")))
            self.assertTrue(links)
            for link in links:
                with self.subTest(user=user.username, link=link):
                    self.assertEqual(self.client.get(link, follow=True).status_code, 200)

    def test_a_resident_menu_has_report_and_no_staff_pages(self):
        self.login(self.resident)
        links = nav_links(self.client.get(reverse("home")))
        self.assertIn(reverse("public_report"), links)
        self.assertNotIn(reverse("grid_map"), links)
        self.assertNotIn(reverse("regions:index"), links)
        self.assertNotIn(reverse("dashboard"), links)
