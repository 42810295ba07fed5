"""The Content-Security-Policy on every response, templates that live within it, and a
deployment configured as the README says passing `gridgov check --deploy`."""

import os
import re
import secrets
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured
from django.test import Client, SimpleTestCase, override_settings
from django.urls import reverse

from gridgov.accounts.tests.base import CastTestCase
from gridgov.web.middleware import tile_source

REPO = Path(__file__).resolve().parents[3]
PACKAGE = REPO / "gridgov"


def directives(response) -> dict[str, list[str]]:
    policy = response["Content-Security-Policy"]
    return {
        name: sources
        for name, *sources in (part.split() for part in policy.split(";") if part.strip())
    }


class ContentSecurityPolicyTests(CastTestCase):
    def test_pages_static_files_and_the_api_carry_the_policy(self):
        self.login(self.dispatcher)
        for url in (
            reverse("home"),
            reverse("login"),
            reverse("cases:worklist"),
            "/static/web/site.js",
            reverse("api:me"),
            "/no-such-page/",
        ):
            with self.subTest(url=url):
                policy = directives(self.client.get(url))
                self.assertEqual(policy["script-src"], ["'self'"])
                self.assertEqual(policy["default-src"], ["'self'"])
                self.assertEqual(policy["object-src"], ["'none'"])
                self.assertEqual(policy["frame-ancestors"], ["'none'"])
                self.assertEqual(policy["img-src"], ["'self'", "data:"])

    def test_only_styles_may_be_inline(self):
        policy = directives(self.client.get(reverse("login")))
        inline = [name for name, sources in policy.items() if "'unsafe-inline'" in sources]
        self.assertEqual(inline, ["style-src"])
        self.assertNotIn("'unsafe-eval'", " ".join(sum(policy.values(), [])))

    @override_settings(MAP_TILE_URL="https://{s}.tiles.example.gov.cn:8443/{z}/{x}/{y}.png")
    def test_the_tile_servers_images_are_allowed(self):
        policy = directives(Client().get(reverse("login")))
        self.assertEqual(
            policy["img-src"], ["'self'", "data:", "https://*.tiles.example.gov.cn:8443"]
        )

    def test_the_swagger_page_loads_its_script_from_the_site(self):
        response = self.client.get(reverse("api:docs"))
        self.assertEqual(response.status_code, 200)
        page = response.content.decode()
        self.assertEqual(re.findall(r"<script>", page), [])
        script = self.client.get(reverse("api:docs") + "?script=")
        self.assertEqual(script.status_code, 200)
        self.assertIn("SwaggerUIBundle", script.content.decode())


class TileSourceTests(SimpleTestCase):
    def test_tile_url_forms(self):
        self.assertIsNone(tile_source(""))
        self.assertIsNone(tile_source("/tiles/{z}/{x}/{y}.png"))
        self.assertEqual(tile_source("http://10.1.2.3/{z}/{x}/{y}.png"), "http://10.1.2.3")
        with self.assertRaises(ImproperlyConfigured):
            tile_source("https://tile{s}.example.cn/{z}/{x}/{y}.png")


class TemplatesWithoutInlineScriptTests(SimpleTestCase):
    def test_no_template_has_an_inline_script_or_event_handler(self):
        found = []
        for template in PACKAGE.glob("**/templates/**/*.html"):
            text = template.read_text(encoding="utf-8")
            for match in re.finditer(r"<script\b[^>]*>", text):
                tag = match.group(0)
                if "src=" not in tag and "application/json" not in tag:
                    found.append(f"{template.relative_to(REPO)}: {tag}")
            for match in re.finditer(r"\son[a-z]+\s*=|javascript:", text):
                found.append(f"{template.relative_to(REPO)}: {match.group(0).strip()}")
        self.assertEqual(found, [])


def readme_production_environment() -> dict[str, str]:
    """The variables README's "Deploying" section exports."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Deploying", 1)[1].split("\n## ", 1)[0]
    env = {}
    for line in re.findall(r"^export (.+)$", section, flags=re.MULTILINE):
        for assignment in shlex.split(line):
            name, _sep, value = assignment.partition("=")
            # The shell would run $(…) (the secret key generator): any long random key.
            env[name] = secrets.token_urlsafe(50) if value.startswith("$(") else value
    return env


class DeployCheckTests(SimpleTestCase):
    def run_check(self, env: dict[str, str]) -> subprocess.CompletedProcess:
        tmp = self.enterContext(tempfile.TemporaryDirectory(prefix="gridgov-deploy-"))
        clean = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
        return subprocess.run(
            [sys.executable, "-m", "gridgov.cli", "check", "--deploy", "--fail-level", "WARNING"],
            env={**clean, "GRIDGOV_VAR_DIR": tmp, **env},
            cwd=tmp,
            capture_output=True,
            text=True,
            timeout=180,
        )

    def test_the_documented_production_variables_pass_check_deploy(self):
        env = readme_production_environment()
        self.assertIn("SECURE_HSTS_SECONDS", env)
        self.assertTrue(env["DATABASE_URL"].startswith("postgres://"))
        result = self.run_check(env)
        self.assertEqual(result.returncode, 0, result.stdout + result.stderr)
        self.assertIn("System check identified no issues", result.stdout)

    def test_without_them_check_deploy_names_what_is_missing(self):
        result = self.run_check({})
        self.assertNotEqual(result.returncode, 0)
        for check in ("security.W004", "security.W008", "security.W012", "security.W016"):
            self.assertIn(check, result.stderr)
