from django.urls import reverse

from gridgov.accounts.tests.base import PASSWORD, CastTestCase


class LoginAndHomeTests(CastTestCase):
    def test_login_page_is_in_chinese_by_default(self):
        response = self.client.get(reverse("login"))
        self.assertContains(response, "登录")
        self.assertContains(response, 'lang="zh-hans"')

    def test_english_is_available(self):
        self.client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
        response = self.client.get(reverse("login"))
        self.assertContains(response, "Log in")

    def test_login_with_the_right_password_lands_on_home(self):
        response = self.client.post(
            reverse("login"), {"username": "community", "password": PASSWORD}, follow=True
        )
        self.assertContains(response, "滨江社区")

    def test_wrong_password_is_refused_with_a_message(self):
        response = self.client.post(reverse("login"), {"username": "community", "password": "x"})
        self.assertEqual(response.status_code, 200)
        self.assertNotIn("_auth_user_id", self.client.session)
        self.assertContains(response, "errors")

    def test_home_requires_login(self):
        response = self.client.get(reverse("home"))
        self.assertEqual(response.status_code, 302)

    def test_grid_worker_home_lists_the_grids_they_patrol(self):
        self.login(self.grid_worker)
        response = self.client.get(reverse("home"))
        self.assertContains(response, "滨江社区第01网格")
        self.assertContains(response, "滨江社区第02网格")

    def test_street_home_counts_its_area(self):
        self.login(self.street_staff)
        response = self.client.get(reverse("home"))
        counts = dict(response.context["area_counts"])
        self.assertEqual(counts["社区"], 2)
        self.assertEqual(counts["网格"], 3)

    def test_department_handler_home_names_the_department(self):
        self.login(self.handler)
        response = self.client.get(reverse("home"))
        self.assertContains(response, "江北区城市管理和综合执法局")

    def test_admin_is_in_chinese(self):
        self.login(self.admin)
        response = self.client.get(reverse("admin:index"))
        self.assertContains(response, "站点管理")


class LanguageTests(CastTestCase):
    def test_an_english_browser_still_gets_chinese_until_the_user_switches(self):
        response = self.client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        self.assertContains(response, "登录")
        self.client.post(reverse("set_language"), {"language": "en", "next": "/login/"})
        response = self.client.get(reverse("login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        self.assertContains(response, "Log in")


class GridMapTests(CastTestCase):
    def test_the_map_data_colours_each_grid_by_its_open_and_overdue_cases(self):
        from datetime import timedelta

        from django.utils import timezone

        from gridgov.cases import services

        data = {
            "channel": "hotline",
            "case_type": "complaint",
            "title": "t",
            "description": "d",
            "lng": "120.105",
            "lat": "30.205",
            "datum": "gcj02",
        }
        services.intake_case(self.dispatcher, data)
        services.intake_case(self.dispatcher, data, at=timezone.now() - timedelta(days=30))
        self.login(self.community_staff)
        body = self.client.get(reverse("grid_map_data")).json()
        grids = {f["properties"]["code"]: f["properties"] for f in body["features"]}
        self.assertEqual(set(grids), {self.grid.code, self.second_grid.code})
        self.assertEqual((grids[self.grid.code]["open"], grids[self.grid.code]["overdue"]), (2, 1))
        self.assertEqual(grids[self.grid.code]["workers"], ["gridworker"])
        self.assertEqual(grids[self.second_grid.code]["open"], 0)

    def test_the_map_data_query_count_is_fixed(self):
        self.login(self.leader)
        # Session, user, the user's region, grids, case counts, grid workers.
        with self.assertNumQueries(6):
            self.client.get(reverse("grid_map_data"))

    def test_the_map_page_renders_for_staff_and_not_for_residents(self):
        self.login(self.street_staff)
        self.assertContains(self.client.get(reverse("grid_map")), "grid-map")
        self.login(self.resident)
        self.assertEqual(self.client.get(reverse("grid_map")).status_code, 404)


class NulCharacterTests(CastTestCase):
    def test_a_nul_in_the_address_is_a_bad_request_not_a_server_error(self):
        self.login(self.dispatcher)
        for url in [
            "/cases/20260101-000001%00/",
            "/regions/99%00/",
            "/cases/?category=E01%00",
            "/dashboard/?region%00=1",
        ]:
            with self.subTest(url=url):
                response = self.client.get(url)
                self.assertEqual(response.status_code, 400)
                self.assertContains(response, "%00", status_code=400)

    def test_the_api_and_open311_name_the_parameter_in_their_own_format(self):
        response = self.client.get("/api/v1/cases", {"region": "x\x00"})
        self.assertIn(response.status_code, {400, 401})
        self.assertEqual(response["Content-Type"], "application/json")
        response = self.client.get("/open311/v2/requests.json", {"service_code": "E01\x00"})
        self.assertEqual(response.status_code, 400)
        self.assertIn("service_code", response.json()[0]["description"])
