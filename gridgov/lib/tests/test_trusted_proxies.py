"""TRUSTED_PROXIES, read at start-up: a bad value stops gridgov with a message naming it."""

import os
import subprocess
import sys
import tempfile


def start(trusted_proxies: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "SECRET_KEY"}}
    with tempfile.TemporaryDirectory() as var:
        env.update(GRIDGOV_VAR_DIR=var, TRUSTED_PROXIES=trusted_proxies)
        return subprocess.run(
            [
                sys.executable,
                "-c",
                "from gridgov.cli import main; from django.conf import settings; "
                "main(['gridgov', 'check']); print(settings.GRIDGOV_TRUSTED_PROXIES)",
            ],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )


def test_addresses_and_networks_are_read():
    done = start("10.0.0.5, 172.16.0.0/12,::1")
    assert done.returncode == 0, done.stderr
    assert "IPv4Network('10.0.0.5/32'), IPv4Network('172.16.0.0/12')" in done.stdout


def test_a_bad_value_stops_start_up_naming_the_variable():
    done = start("10.0.0.5,proxy.local")
    assert done.returncode != 0
    assert "TRUSTED_PROXIES must be IP addresses or networks" in done.stderr
    assert "'proxy.local'" in done.stderr
