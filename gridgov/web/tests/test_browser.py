"""One case through the whole loop in a real browser (headless Chromium via Playwright):
operator → department → grid worker → resident, then the dashboard and the grid map.

Screenshots go to ./test-artifacts/. Needs Debian's chromium (.ci/run installs it); skipped
with a clear reason where it is missing.
"""

import pytest

from gridgov.cases.models import Case
from gridgov.web.tests.browser import CHROMIUM, BrowserTestCase

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="needs Debian chromium"),
]


class BrowserLoopTests(BrowserTestCase):
    def act(self, page, action, fill=None, select=None):
        page.click(f"details[data-action='{action}'] summary")
        form = page.locator(f"details[data-action='{action}'] form")
        for name, value in (fill or {}).items():
            form.locator(f"[name={name}]").fill(value)
        for name, value in (select or {}).items():
            form.locator(f"[name={name}]").select_option(value)
        form.locator("button[type=submit]").click()
        page.wait_for_load_state()

    def test_one_case_through_the_whole_loop(self):
        operator = self.page_as("dispatcher")
        operator.goto(f"{self.live_server_url}/cases/new/")
        operator.fill("[name=title]", "小区门口垃圾堆积")
        operator.fill("[name=description]", "垃圾两天没人清运，气味很大。")
        operator.fill("[name=address]", "滨江社区南门")
        operator.click("details.advanced summary")
        operator.fill("[name=lng]", "120.105")
        operator.fill("[name=lat]", "30.205")
        operator.select_option("[name=datum]", "gcj02")
        operator.fill("[name=reporter_name]", "张三")
        operator.fill("[name=reporter_phone]", "13812341234")
        self.shot(operator, "01-intake")
        operator.click("main form button[type=submit]")
        operator.wait_for_load_state()
        case = Case.objects.get()
        self.assertIn(case.number, operator.content())
        self.act(operator, "register", select={"category": self.litter.code})
        self.act(operator, "dispatch")
        self.shot(operator, "02-dispatched")
        case.refresh_from_db()
        self.assertEqual(case.status, "dispatched")

        department = self.page_as("dept")
        department.goto(f"{self.live_server_url}/cases/?list=to_accept")
        department.click(f"text={case.number}")
        department.wait_for_load_state()
        self.act(department, "accept")
        self.act(department, "handle")
        self.act(department, "reply", fill={"result": "已安排清运，现场已清理干净。"})
        self.shot(department, "03-replied")

        worker = self.page_as("gridworker")
        worker.goto(f"{self.live_server_url}/cases/?list=to_verify")
        worker.click(f"text={case.number}")
        worker.wait_for_load_state()
        self.act(worker, "verify", fill={"note": "现场核查通过"})
        operator.goto(f"{self.live_server_url}/cases/{case.number}/")
        self.act(operator, "close")
        case.refresh_from_db()
        self.assertEqual(case.status, "closed")

        resident = self.page_as(None)
        resident.goto(f"{self.live_server_url}/track/?number={case.number}&tail=1234")
        # Nothing is chosen for the resident: they tick their own answers.
        self.assertFalse(resident.is_checked("[name=solved][value=true]"))
        resident.check("[name=solved][value=true]")
        resident.check("[name=satisfaction][value=satisfied]")
        self.shot(resident, "04-resident-rates")
        resident.click("form[action$='/track/rate/'] button[type=submit]")
        resident.wait_for_load_state()
        self.assertIn("感谢您的评价", resident.content())
        case.refresh_from_db()
        self.assertEqual((case.status, case.satisfaction), ("rated", "satisfied"))

        leader = self.page_as("leader")
        leader.goto(f"{self.live_server_url}/dashboard/")
        leader.wait_for_selector("#hot-map path.leaflet-interactive")
        self.shot(leader, "05-dashboard")
        leader.goto(f"{self.live_server_url}/map/")
        leader.wait_for_selector("#grid-map path.leaflet-interactive, #grid-map canvas")
        self.shot(leader, "06-grid-map")
        self.assertEqual(self.console_errors, [])

    # --- a phone's screen (390 px wide) ---------------------------------------------------

    def phone_page_as(self, username):
        """A signed-in page on a phone-sized screen."""
        return self.page_as(username, self.PHONE, console=False)

    def assert_fits_the_phone(self, page, path, name):
        page.goto(f"{self.live_server_url}{path}")
        page.wait_for_load_state("networkidle")
        self.shot(page, name)
        width = page.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, self.PHONE["width"], f"{path} is {width} px wide")
        # The menu is one row of whole words, never a column of single characters.
        tallest = page.evaluate(
            "Math.max(...[...document.querySelectorAll('.topbar nav a')]"
            ".map(a => a.getBoundingClientRect().height))"
        )
        self.assertLess(tallest, 40, f"a menu item on {path} wraps")

    def phone_cases(self):
        """A case in hand with long unbroken text, and a resident's own closed case."""
        from gridgov.cases import services

        long_word = "https://example.gov.cn/" + "x" * 120
        staff_case = services.intake_case(
            self.dispatcher,
            {
                "channel": "hotline",
                "case_type": "complaint",
                "title": "小区门口垃圾堆积" * 4,
                "description": f"垃圾两天没人清运，照片见 {long_word} 编号 {'9' * 60}",
                "address": "滨江社区南门" + "1" * 50,
                "lng": 120.105,
                "lat": 30.205,
                "datum": "gcj02",
                "reporter_name": "张三",
                "reporter_phone": "13812341234",
            },
        ).case
        resident_case = services.intake_case(
            self.resident,
            {
                "channel": "web",
                "case_type": "complaint",
                "title": "路灯不亮",
                "description": "楼下路灯坏了三天。",
                "lng": 120.105,
                "lat": 30.205,
                "datum": "gcj02",
            },
        ).case
        for case in (staff_case, resident_case):
            services.perform(self.dispatcher, case.number, "register", {"category": "E0103"})
            services.perform(self.dispatcher, case.number, "dispatch", {})
            services.perform(self.handler, case.number, "accept", {})
            services.perform(self.handler, case.number, "handle", {"note": long_word})
        services.perform(self.handler, resident_case.number, "reply", {"result": "路灯已修复"})
        services.perform(self.grid_worker, resident_case.number, "verify", {})
        services.perform(self.dispatcher, resident_case.number, "close", {})
        return staff_case, resident_case

    def test_the_case_page_and_the_worklist_fit_a_phone_for_a_leader(self):
        staff_case, _resident_case = self.phone_cases()
        leader = self.phone_page_as("leader")
        self.assert_fits_the_phone(leader, "/cases/", "phone-leader-worklist")
        self.assert_fits_the_phone(leader, f"/cases/{staff_case.number}/", "phone-leader-case")
        # On a phone what the leader can do comes before the units and the triage details.
        top = {
            selector: leader.locator(selector).bounding_box()["y"]
            for selector in (".case-facts", ".actions", ".case-units")
        }
        self.assertLess(top[".case-facts"], top[".actions"])
        self.assertLess(top[".actions"], top[".case-units"])
        self.assertEqual(self.console_errors, [])

    def test_the_case_page_and_the_worklist_fit_a_phone_for_a_resident(self):
        _staff_case, resident_case = self.phone_cases()
        resident = self.phone_page_as("resident")
        self.assert_fits_the_phone(resident, "/", "phone-resident-home")
        self.assert_fits_the_phone(resident, "/cases/", "phone-resident-worklist")
        self.assert_fits_the_phone(
            resident, f"/cases/{resident_case.number}/", "phone-resident-case"
        )
        # Their own case's grid is drawn on its map.
        resident.wait_for_selector("#case-map path.leaflet-interactive")
        self.assertIn("路灯已修复", resident.content())
        self.assertEqual(self.console_errors, [])

    # --- maps ------------------------------------------------------------------------------

    XSS = '<img src=x onerror="window.__xss=1">'

    def map_page(self, username=None, width=1280, **context_options):
        """A page for a person (signed in unless None) on a screen `width` px wide."""
        viewport = {"width": width, "height": 900 if width > 600 else 844}
        return self.page_as(username, viewport, console=False, **context_options)

    def zoom_in_until(self, page, map_id, selector, tries=4):
        """Zoom the map in until `selector` shows: names appear only where they fit."""
        for _ in range(tries):
            if page.locator(selector).count():
                return page.locator(selector).first
            page.click(f"#{map_id} .leaflet-control-zoom-in")
            page.wait_for_timeout(400)
        page.wait_for_selector(selector)
        return page.locator(selector).first

    def assert_ran_nothing(self, page):
        self.assertIsNone(page.evaluate("window.__xss"))
        self.assertEqual(page.locator("img[src='x']").count(), 0)

    def test_region_names_show_as_text_on_every_map_and_run_nothing(self):
        from gridgov.accounts.tests.base import square
        from gridgov.cases import services

        self.grid.name = self.XSS + "网格"
        self.grid.save()
        self.community.name = self.XSS + "社区"
        self.community.save()
        self.street.set_boundary(square(120.09, 30.19, 0.05), "gcj02")
        self.street.save()
        services.intake_case(
            self.dispatcher,
            {
                "channel": "hotline",
                "case_type": "complaint",
                "title": "垃圾堆积",
                "description": "门口垃圾没人清运。",
                "lng": 120.105,
                "lat": 30.205,
                "datum": "gcj02",
            },
        )
        literal_grid = f"text={self.XSS}网格"

        # The region page: the grids' names on the map and in the tooltip.
        staff = self.map_page("community")
        staff.goto(f"{self.live_server_url}/regions/{self.community.code}/")
        label = self.zoom_in_until(
            staff, "region-map", f"#region-map .map-label-text >> {literal_grid}"
        )
        box = label.bounding_box()
        staff.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        staff.wait_for_selector(f"#region-map .leaflet-tooltip >> {literal_grid}")
        self.shot(staff, "10-maps-region-names-as-text")
        self.assert_ran_nothing(staff)

        # The grid map: the name on the map and in the grid's popup.
        staff.goto(f"{self.live_server_url}/map/")
        label = self.zoom_in_until(
            staff, "grid-map", f"#grid-map .map-label-text >> {literal_grid}"
        )
        label.click(force=True)  # the name lets the click through to the grid under it
        staff.wait_for_selector(f"#grid-map .leaflet-popup-content a >> {literal_grid}")
        self.assert_ran_nothing(staff)

        # The dashboard's hot grids: the tooltip, and the legend that says what red means.
        leader = self.map_page("leader")
        leader.goto(f"{self.live_server_url}/dashboard/")
        leader.hover("#hot-map path.leaflet-interactive")
        leader.wait_for_selector(f"#hot-map .leaflet-tooltip >> {literal_grid}")
        legend = leader.locator("#hot-map-legend")
        self.assertTrue(legend.is_visible())
        self.assertIn("红色越深", legend.inner_text())
        self.assert_ran_nothing(leader)

        # The intake map: the name said where a click falls.
        worker = self.map_page("gridworker")
        worker.goto(f"{self.live_server_url}/cases/new/")
        label = self.zoom_in_until(
            worker, "pick-map", f"#pick-map .map-label-text >> {literal_grid}"
        )
        label.click(force=True)
        worker.wait_for_selector(f"#pick-map .leaflet-tooltip >> {literal_grid}")
        self.assert_ran_nothing(worker)

        # The report map: the search's answers, and the community named once zoomed in.
        resident = self.map_page(None)
        resident.goto(f"{self.live_server_url}/report/")
        resident.fill("[data-place-search]", "社区")
        resident.press("[data-place-search]", "Enter")
        resident.wait_for_selector(f"[data-place-results] button >> text={self.XSS}社区")
        resident.click(f"[data-place-results] button >> text={self.XSS}社区")
        resident.wait_for_selector(f"#pick-map .map-label-text >> text={self.XSS}社区")
        self.shot(resident, "11-maps-report-search")
        self.assert_ran_nothing(resident)
        self.assertEqual(self.console_errors, [])

    def test_intake_on_a_phone_puts_the_map_and_my_location_first(self):
        worker = self.map_page(
            "gridworker",
            width=390,
            geolocation={"latitude": 30.205, "longitude": 120.105},
            permissions=["geolocation"],
        )
        worker.goto(f"{self.live_server_url}/cases/new/")
        worker.wait_for_selector("#pick-map path")
        self.shot(worker, "12-maps-intake-phone")
        width = worker.evaluate("document.documentElement.scrollWidth")
        self.assertLessEqual(width, 390)
        top = {
            name: worker.locator(selector).bounding_box()["y"]
            for name, selector in (
                ("map", "#pick-map"),
                ("locate", "[data-locate-me]"),
                ("title", "[name=title]"),
            )
        }
        self.assertLess(top["locate"], top["title"])
        self.assertLess(top["map"], top["title"])
        # The raw fields are in the form but folded away.
        self.assertFalse(worker.locator("[name=lng]").is_visible())
        worker.click("[data-locate-me]")
        # A function, not an expression: Playwright would eval an expression at every poll,
        # which the Content-Security-Policy refuses.
        worker.wait_for_function("() => document.querySelector('[name=lng]').value !== ''")
        self.assertEqual(worker.input_value("[name=lng]"), "120.105000")
        self.assertEqual(worker.input_value("[name=lat]"), "30.205000")
        self.assertEqual(worker.input_value("[name=datum]"), "wgs84")
        worker.fill("[name=title]", "路灯不亮")
        worker.fill("[name=description]", "楼下路灯坏了三天。")
        worker.click("main form button[type=submit]")
        worker.wait_for_load_state()
        case = Case.objects.get()
        self.assertEqual((case.datum, round(case.lng, 3)), ("wgs84", 120.105))
        self.assertEqual(self.console_errors, [])

    def test_a_refused_location_says_so_and_an_error_opens_the_advanced_fields(self):
        resident = self.map_page(None, width=390)
        resident.goto(f"{self.live_server_url}/report/")
        resident.click("[data-locate-me]")
        resident.wait_for_selector("[data-map-status]:has-text('位置')")
        self.assertIn("搜索", resident.inner_text("[data-map-status]"))

        worker = self.map_page("gridworker", width=390)
        worker.goto(f"{self.live_server_url}/cases/new/")
        worker.click("details.advanced summary")
        worker.fill("[name=lng]", "500")
        worker.fill("[name=lat]", "30.2")
        worker.fill("[name=title]", "路灯不亮")
        worker.fill("[name=description]", "楼下路灯坏了三天。")
        worker.click("main form button[type=submit]")
        worker.wait_for_load_state()
        self.assertTrue(worker.locator("[name=lng]").is_visible())
        self.assertTrue(worker.locator("[data-field=lng] .error").is_visible())
        self.assertEqual(Case.objects.count(), 0)
        self.assertEqual(self.console_errors, [])

    def test_the_dispatcher_finds_a_unit_by_typing_and_the_suggestion_is_ticked(self):
        from gridgov.cases import services

        case = services.intake_case(
            self.dispatcher,
            {
                "channel": "hotline",
                "case_type": "complaint",
                "title": "路面积水",
                "description": "水管漏水，路面积水。",
                "lng": 120.105,
                "lat": 30.205,
                "datum": "gcj02",
            },
        ).case
        services.perform(self.dispatcher, case.number, "register", {"category": "E0103"})
        operator = self.phone_page_as("dispatcher")
        operator.goto(f"{self.live_server_url}/cases/{case.number}/")
        operator.click("details[data-action='dispatch'] summary")
        form = operator.locator("details[data-action='dispatch'] form")
        self.assertEqual(form.locator(".picker-filter").count(), 1)
        suggested = form.locator(f"[name=departments][value='{self.department.code}']")
        water = form.locator(f"[name=departments][value='{self.water.code}']")
        self.assertTrue(suggested.is_checked())
        form.locator(".picker-filter").fill("水务")
        self.assertTrue(water.is_visible())
        self.assertTrue(suggested.is_visible())  # ticked: kept in sight
        self.assertEqual(form.locator(f"[value='{self.other_department.code}']").count(), 0)
        self.shot(operator, "picker-filtered")
        suggested.uncheck()
        water.check()
        form.locator("button[type=submit]").click()
        operator.wait_for_load_state()
        self.assertEqual(
            list(case.assignments.values_list("department__code", flat=True)), [self.water.code]
        )
        self.assertEqual(self.console_errors, [])
