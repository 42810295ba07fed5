"""What every browser test shares: headless Chromium driven by Playwright against the live
test server, the cast signed in on pages of a desktop's or a phone's size, screenshots.

Screenshots go to ./test-artifacts/ (GRIDGOV_TEST_ARTIFACTS). Needs Debian's chromium
(.ci/run installs it); the test modules skip with a clear reason where it is missing.
"""

import os
import shutil
from pathlib import Path

from django.contrib.staticfiles.testing import StaticLiveServerTestCase
from django.db import connections

from gridgov.accounts.tests.base import PASSWORD, build_cast
from gridgov.cases.tests.base import build_case_cast

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
ARTIFACTS = Path(os.environ.get("GRIDGOV_TEST_ARTIFACTS", "test-artifacts"))
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class BrowserTestCase(StaticLiveServerTestCase):
    PHONE = {"width": 390, "height": 844}
    DESKTOP = {"width": 1280, "height": 900}

    # Earlier transactional tests empty the database when they end; this restores what the
    # migrations put there (the category catalogue, the working-day calendar).
    serialized_rollback = True

    @classmethod
    def setUpClass(cls):
        # Playwright's sync API runs an event loop in this thread; Django's ORM, called by
        # the test itself, would otherwise refuse to run beside it.
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
        super().setUpClass()
        from playwright.sync_api import sync_playwright

        serialized = {
            alias: connections[alias]._test_serialized_contents
            for alias in connections
            if hasattr(connections[alias], "_test_serialized_contents")
        }
        cls.playwright = sync_playwright().start()
        # With Playwright's event loop running in this thread, Django hands the test
        # per-context connections that lack the snapshot the test runner took; without
        # it the database is not restored after the test.
        for alias, contents in serialized.items():
            connections[alias]._test_serialized_contents = contents
        cls.browser = cls.playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    @classmethod
    def tearDownClass(cls):
        cls.browser.close()
        cls.playwright.stop()
        super().tearDownClass()
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)

    def setUp(self):
        build_cast(self)
        build_case_cast(self)
        self.console_errors = []
        self.contexts = []

    def tearDown(self):
        # Pages left open keep asking the live server for data while the database is
        # emptied after the test, and would write rows the next test does not expect.
        for context in self.contexts:
            context.close()

    def page_as(self, username, viewport=None, *, console=True, **context_options):
        """A page for `username` (signed in; None: a visitor). Script errors are collected
        in self.console_errors, and with `console` the console's error lines too."""
        context = self.browser.new_context(viewport=viewport or self.DESKTOP, **context_options)
        self.contexts.append(context)
        page = context.new_page()
        if console:
            page.on(
                "console",
                lambda message: (
                    self.console_errors.append(f"{username}: {message.text}")
                    if message.type == "error"
                    else None
                ),
            )
        page.on("pageerror", lambda error: self.console_errors.append(f"{username}: {error}"))
        if username:
            page.goto(f"{self.live_server_url}/login/")
            page.fill("input[name=username]", username)
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_load_state()
        return page

    def shot(self, page, name):
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
