"""`gridgov demo` as a person runs it: a real server process, real browser-like keep-alive
connections, and the database connections the server holds while they stay open."""

import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

KEEP_ALIVE_CLIENTS = 20


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _database_url() -> str:
    db = connection.settings_dict
    auth = quote(db["USER"] or "", safe="")
    if db["PASSWORD"]:
        auth += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{auth}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


def _wait_for_port(port: int, process: subprocess.Popen, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"gridgov demo ended early:\n{process.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.5)
    raise AssertionError(f"gridgov demo did not serve on port {port} in {timeout:.0f} s")


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGTERM)
    try:
        output, _ = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    # If the demo could not stop its worker, that child would outlive the test.
    match = re.search(r"background worker \(pid (\d+)\)", output)
    if match:
        try:
            os.kill(int(match.group(1)), signal.SIGKILL)
        except ProcessLookupError:
            pass
    return output


class DatabaseConnections:
    """Database connections the server process holds open: its TCP connections to
    PostgreSQL's port, or its open handles on the SQLite file. (The worker, a process of
    its own, keeps its connections; they are not counted.)"""

    def __init__(self, server_pid: int, sqlite_file: Path):
        self.server_pid, self.sqlite_file = server_pid, sqlite_file

    def count(self) -> int:
        fds = Path(f"/proc/{self.server_pid}/fd")
        targets = [_target(fd) for fd in fds.iterdir()]
        if connection.vendor != "postgresql":
            return sum(1 for target in targets if target == str(self.sqlite_file))
        sockets = {
            target[len("socket:[") : -1] for target in targets if target.startswith("socket:[")
        }
        port = int(connection.settings_dict["PORT"] or 5432)
        held = 0
        for table in ("tcp", "tcp6"):
            lines = Path(f"/proc/{self.server_pid}/net/{table}").read_text().splitlines()[1:]
            for line in lines:
                fields = line.split()
                remote_port = int(fields[2].rsplit(":", 1)[1], 16)
                if remote_port == port and fields[9] in sockets:
                    held += 1
        return held


def _target(fd: Path) -> str:
    try:
        return os.readlink(fd)
    except OSError:  # closed while we looked
        return ""


def _environment(tmp_path: Path) -> dict[str, str]:
    env = {
        **os.environ,
        "GRIDGOV_VAR_DIR": str(tmp_path),
        "DEBUG": "false",
        # What a deployment's environment may say: the development server must not follow it.
        "DB_CONN_MAX_AGE": "60",
    }
    if connection.vendor == "postgresql":
        env.update(DATABASE_URL=_database_url(), SECRET_KEY="test")
    else:
        env.pop("DATABASE_URL", None)
    return env


def _serve_idle_browsers(command: list[str], tmp_path: Path, env: dict[str, str]) -> str:
    """Start `gridgov COMMAND` (where {port} is a free port), open keep-alive connections
    like browsers that each read a page needing the database, and check that the server
    holds no database connection for them while they stay open. Returns its output."""
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gridgov.cli", *(arg.format(port=port) for arg in command)],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    clients = []
    try:
        _wait_for_port(port, process, timeout=300)
        held = DatabaseConnections(process.pid, tmp_path / "gridgov.sqlite3")
        before = held.count()
        for _ in range(KEEP_ALIVE_CLIENTS):
            client = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            client.request("GET", "/report/")
            response = client.getresponse()
            body = response.read()
            assert response.status == 200, body[:500]
            assert response.getheader("Connection", "").lower() != "close"
            clients.append(client)
        time.sleep(0.5)
        after = held.count()
        assert after - before <= 1, (before, after)
    finally:
        for client in clients:
            client.close()
        output = _stop(process)
    return output


PROC = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="counts handles in /proc")


@PROC
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_demo_server_keeps_no_database_connection_for_idle_browsers(tmp_path):
    output = _serve_idle_browsers(
        ["demo", "--cases", "0", "--persons", "0", "--port", "{port}"],
        tmp_path,
        _environment(tmp_path),
    )
    assert "Stopped the background worker." in output


@PROC
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_gridgov_runserver_keeps_no_database_connection_for_idle_browsers(tmp_path):
    env = _environment(tmp_path)
    if connection.vendor != "postgresql":
        subprocess.run(
            [sys.executable, "-m", "gridgov.cli", "migrate", "--verbosity", "0"],
            cwd=tmp_path,
            env=env,
            check=True,
        )
    _serve_idle_browsers(["runserver", "--noreload", "127.0.0.1:{port}"], tmp_path, env)
