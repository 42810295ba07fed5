"""A bad value in the environment stops start-up with a message naming the variable."""

import os
import subprocess
import sys

from django.test import SimpleTestCase


def start(**env) -> subprocess.CompletedProcess:
    """Load gridgov's settings as a fresh process would, under these variables."""
    return subprocess.run(
        [sys.executable, "-c", "import gridgov.settings"],
        env={**os.environ, "GRIDGOV_VAR_DIR": "/tmp/gridgov-settings-test", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


class EnvironmentSettingTests(SimpleTestCase):
    def test_bad_values_are_refused_by_name(self):
        for name, value, says in [
            ("DB_CONN_MAX_AGE", "-1", "DB_CONN_MAX_AGE must be 0 or more"),
            ("DB_CONN_MAX_AGE", "forever", "DB_CONN_MAX_AGE must be a whole number"),
            ("LOGIN_MAX_FAILURES", "0", "LOGIN_MAX_FAILURES must be 1 or more"),
            ("LOGIN_LOCKOUT_MINUTES", "half", "LOGIN_LOCKOUT_MINUTES must be a whole number"),
            ("SECURE_HSTS_SECONDS", "-5", "SECURE_HSTS_SECONDS must be 0 or more"),
            ("SECURE_SSL_REDIRECT", "maybe", "SECURE_SSL_REDIRECT must be one of"),
            ("SECURE_PROXY_SSL_HEADER", "X-Forwarded-Proto: https", "SECURE_PROXY_SSL_HEADER"),
        ]:
            with self.subTest(name=name, value=value):
                result = start(**{name: value})
                self.assertNotEqual(result.returncode, 0)
                self.assertIn("ImproperlyConfigured", result.stderr)
                self.assertIn(says, result.stderr)

    def test_good_values_start(self):
        result = start(
            DB_CONN_MAX_AGE="0",
            LOGIN_MAX_FAILURES="10",
            SECURE_HSTS_SECONDS="31536000",
            SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto",
        )
        self.assertEqual(result.returncode, 0, result.stderr)
