"""What the PostgreSQL bench scripts share: Django set up on the database they measure
(migrated first) and the line naming the machine a figure was measured on."""

import os
import platform
import subprocess
from pathlib import Path


def django_on(database_url: str, secret_key: str) -> None:
    """Migrate the database and set Django up on it, Chinese active (as users see it)."""
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY", secret_key),
        "ALLOWED_HOSTS": "testserver",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    subprocess.run(["gridgov", "migrate", "-v", "0"], env=env, check=True)
    import django

    django.setup()
    from django.utils import translation

    translation.activate("zh-hans")


def machine(connection) -> str:
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        server = cursor.fetchone()[0]
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return (
        f"machine: {cpu}, {os.cpu_count()} cores, {memory:.0f} GiB; Python "
        f"{platform.python_version()}; {connection.vendor} {server}"
    )
