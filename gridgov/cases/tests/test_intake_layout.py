"""The intake forms' layout: where first, the raw coordinates folded away but still sent,
and nothing that needs an inline script (the Content-Security-Policy forbids them)."""

import re

from django.core.cache import cache
from django.urls import reverse

from gridgov.cases.models import Case
from gridgov.cases.tests.base import CaseTestCase

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>|\son[a-z]+=", re.IGNORECASE)


class IntakeLayoutTests(CaseTestCase):
    def setUp(self):
        cache.clear()

    def form_html(self, response) -> str:
        html = response.content.decode()
        return html[
            html.index('<form method="post" enctype') : html.index(
                "</form>", html.index('<form method="post" enctype')
            )
        ]

    def test_the_staff_form_puts_where_first_and_the_raw_fields_in_a_closed_toggle(self):
        self.login(self.dispatcher)
        form = self.form_html(self.client.get(reverse("cases:intake")))
        self.assertLess(form.index('id="pick-map"'), form.index('name="title"'))
        self.assertLess(form.index("data-locate-me"), form.index('name="title"'))
        advanced = form[form.index('<details class="advanced"') : form.index("</details>")]
        self.assertNotIn(" open", advanced.split(">")[0])
        for name in ("lng", "lat", "datum", "region"):
            self.assertIn(f'name="{name}"', advanced)
        # The map and its tools need JavaScript: without it they stay hidden, the fields do not.
        self.assertRegex(form, r'id="pick-map"[^>]*\bhidden\b')

    def test_an_error_in_a_raw_field_opens_the_toggle_and_shows_the_error(self):
        self.login(self.dispatcher)
        response = self.client.post(
            reverse("cases:intake"),
            {
                "channel": "hotline",
                "case_type": "complaint",
                "title": "路灯不亮",
                "description": "楼下路灯坏了三天。",
                "lng": "500",
                "lat": "30.2",
            },
        )
        self.assertEqual(response.status_code, 400)
        form = self.form_html(response)
        self.assertIn('<details class="advanced" open>', form)
        advanced = form[form.index('<details class="advanced"') : form.index("</details>")]
        self.assertIn('class="error"', advanced)
        self.assertFalse(Case.objects.exists())

    def test_the_raw_fields_are_still_sent_without_javascript(self):
        self.login(self.dispatcher)
        self.client.post(
            reverse("cases:intake"),
            {
                "channel": "hotline",
                "case_type": "complaint",
                "title": "路灯不亮",
                "description": "楼下路灯坏了三天。",
                "lng": "120.105",
                "lat": "30.205",
                "datum": "gcj02",
            },
        )
        self.assertEqual(Case.objects.get().region, self.grid)

    def test_the_report_page_puts_where_first_and_keeps_the_point_fields(self):
        form = self.form_html(self.client.get(reverse("public_report")))
        self.assertLess(form.index('id="pick-map"'), form.index('name="title"'))
        self.assertLess(form.index("data-place-search"), form.index('name="title"'))
        for name in ("lng", "lat", "datum"):
            self.assertRegex(form, rf'<input type="hidden" name="{name}"')
        self.assertIn(reverse("regions:search"), form)

    def test_the_intake_pages_carry_no_inline_script(self):
        self.login(self.dispatcher)
        for url in (reverse("cases:intake"), reverse("public_report")):
            html = self.client.get(url).content.decode()
            main = html[html.index("<main>") :]
            self.assertIsNone(INLINE_SCRIPT.search(main), url)
