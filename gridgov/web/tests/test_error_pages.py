"""403, 404, 405 and 500 as the site's own Chinese pages (DEBUG is off in tests)."""

from django.conf import settings
from django.db import DatabaseError
from django.test import Client, override_settings
from django.urls import include, path, reverse

from gridgov.accounts.tests.base import CastTestCase


def fail_with_the_database_down(request):
    raise DatabaseError("connection to server at 127.0.0.1 failed")


def broken_context_processor(request):
    raise DatabaseError("the context processor needs the database too")


urlpatterns = [
    path("boom/", fail_with_the_database_down),
    path("", include("gridgov.urls")),
]


class ErrorPageTests(CastTestCase):
    def assertErrorPage(self, response, status, *texts):
        self.assertEqual(response.status_code, status)
        self.assertIn("text/html", response["Content-Type"])
        page = response.content.decode()
        self.assertIn('class="card narrow error-page"', page)
        self.assertIn('class="topbar"', page)  # the site's frame
        self.assertIn("返回首页", page)
        self.assertIn("返回上一页", page)
        for text in texts:
            self.assertIn(text, page)
        self.assertNotIn("Not Found", page)
        return page

    def test_403_for_a_page_outside_the_role(self):
        self.login(self.community_staff)
        response = self.client.get(reverse("triage:hotspots"))
        page = self.assertErrorPage(response, 403, "您无权查看此页面或执行此操作")
        self.assertIn(str(self.community_staff), page)  # signed in, with the menu

    def test_403_for_a_refused_form_asks_to_reload_it(self):
        browser = Client(enforce_csrf_checks=True)
        response = browser.post(reverse("public_track"), {"number": "1", "tail": "1234"})
        self.assertErrorPage(response, 403, "表单无法提交")

    def test_404_for_a_missing_page_and_a_case_outside_the_area(self):
        self.assertErrorPage(self.client.get("/no-such-page/"), 404, "页面不存在")
        self.login(self.community_staff)
        response = self.client.get(reverse("cases:detail", args=["20990101-000001"]))
        self.assertErrorPage(response, 404, "页面不存在")

    def test_405_for_a_form_address_opened_in_the_browser(self):
        response = self.client.get(reverse("public_rate"))
        self.assertErrorPage(response, 405, "此地址不能这样使用", "GET")
        self.assertEqual(response["Allow"], "POST")
        self.login(self.dispatcher)
        response = self.client.get(reverse("logout"))
        self.assertErrorPage(response, 405, "此地址不能这样使用")

    def test_the_api_keeps_its_own_405(self):
        self.login(self.dispatcher)
        response = self.client.delete(reverse("api:me"))
        self.assertEqual(response.status_code, 405)
        self.assertIn("json", response["Content-Type"])

    @override_settings(ROOT_URLCONF=__name__)
    def test_500_renders_with_the_database_and_the_context_processors_failing(self):
        browser = Client(raise_request_exception=False)
        browser.force_login(self.dispatcher)
        with self.settings(
            TEMPLATES=[
                {
                    **settings.TEMPLATES[0],
                    "OPTIONS": {
                        "context_processors": [
                            *settings.TEMPLATES[0]["OPTIONS"]["context_processors"],
                            f"{__name__}.broken_context_processor",
                        ],
                    },
                }
            ]
        ):
            response = browser.get("/boom/")
        page = self.assertErrorPage(response, 500, "服务器出错了")
        self.assertNotIn("Server Error", page)
