"""How `registry serve` runs uvicorn: the options, and a real server that refuses huge headers and
stops on SIGTERM even while a request is still running."""

import contextlib
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from uvicorn.protocols.http.h11_impl import H11Protocol

from registry.serve import (
    HEADER_LIMIT,
    SHUTDOWN_TIMEOUT,
    HeaderDeadlineProtocol,
    log_config,
    uvicorn_options,
)
from registry.settings import Settings
from tests.conftest import free_port, wait_until_serving

REGISTRY = str(Path(sys.executable).with_name("registry"))


def test_by_default_no_proxy_is_believed():
    """Guards a fixed bug: uvicorn believed X-Forwarded-For from 127.0.0.1 unless told not to,
    so anyone on the machine could pose as any address (and reset the sign-in throttle)."""
    options = uvicorn_options(Settings())
    assert options["proxy_headers"] is False
    assert options["forwarded_allow_ips"] == []


def test_configured_proxies_are_the_only_ones_believed():
    options = uvicorn_options(Settings(trusted_proxies=("10.0.0.7", "10.0.0.8")))
    assert options["proxy_headers"] is True
    assert options["forwarded_allow_ips"] == ["10.0.0.7", "10.0.0.8"]


def test_uvicorn_takes_the_options_as_given(monkeypatch):
    import uvicorn

    monkeypatch.setattr(uvicorn.Config, "configure_logging", lambda self: None)
    config = uvicorn.Config(**uvicorn_options(Settings()))
    assert config.forwarded_allow_ips == []  # not its default "127.0.0.1,::1"
    assert config.proxy_headers is False
    assert config.http is HeaderDeadlineProtocol
    assert config.h11_max_incomplete_event_size == HEADER_LIMIT


def test_headers_are_bounded_and_slow_shutdowns_are_cut_short():
    options = uvicorn_options(Settings())
    assert issubclass(options["http"], H11Protocol)  # httptools reads header lines of 8 MB
    assert options["h11_max_incomplete_event_size"] == 64 * 1024
    assert options["timeout_keep_alive"] == 5
    assert options["timeout_graceful_shutdown"] == SHUTDOWN_TIMEOUT == 10


def test_host_and_port_come_from_settings_unless_given():
    settings = Settings(host="0.0.0.0", port=9000)
    assert (uvicorn_options(settings)["host"], uvicorn_options(settings)["port"]) == (
        "0.0.0.0",
        9000,
    )
    given = uvicorn_options(settings, host="127.0.0.1", port=8123, workers=3)
    assert (given["host"], given["port"], given["workers"]) == ("127.0.0.1", 8123, 3)


def test_the_application_logs_requests_and_weasyprint_stays_quiet():
    options = uvicorn_options(Settings())
    assert options["access_log"] is False
    loggers = log_config()["loggers"]
    assert loggers["uvicorn.access"]["handlers"] == []
    assert loggers["registry"]["level"] == "INFO"
    assert loggers["weasyprint"]["level"] == "WARNING"
    assert loggers["fontTools"]["level"] == "WARNING"


@dataclass
class Served:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def output(self) -> str:
        return self.log.read_text()


@pytest.fixture
def served(engine, tmp_path) -> Iterator[Served]:
    """`registry serve` in its own process on the test's SQLite file, with a 1 s shutdown grace
    and 1 s for a request's headers to arrive."""
    port = free_port()
    env = os.environ | {
        "REGISTRY_DATABASE_URL": engine.url.render_as_string(False),
        "REGISTRY_HEADER_TIMEOUT": "1",
    }
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [REGISTRY, "serve", "--port", str(port), "--shutdown-timeout", "1"],
            env=env, stdout=sink, stderr=subprocess.STDOUT,
        )  # fmt: skip
    server = Served(process, port, log)
    try:
        wait_until_serving(server.base, process, server.output)
        yield server
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def raw_request(port: int, head: bytes) -> bytes:
    """Send `head` on a fresh connection; what the server answered before closing."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        with contextlib.suppress(OSError):  # refused mid-way: the server closed the connection
            connection.sendall(head)
        answer = b""
        try:
            while chunk := connection.recv(65536):
                answer += chunk
        except OSError:
            pass
        return answer


def closed(connection: socket.socket) -> bool:
    """Whether the other end has closed `connection` (after anything it still had to say)."""
    try:
        while connection.recv(65536):
            pass
    except ConnectionResetError:
        pass
    return True


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_served_registry_refuses_a_megabyte_header_and_keeps_serving(served):
    huge = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 1_000_000 + b"\r\n\r\n"
    answer = raw_request(served.port, huge)
    assert answer == b"" or answer.startswith(b"HTTP/1.1 400 "), answer[:100]
    cookie = {"X-Fair": "b" * 32_000}  # a large but fair header still passes
    assert httpx.get(f"{served.base}/health", headers=cookie, timeout=10).status_code == 200
    assert served.process.poll() is None


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_served_registry_stops_on_sigterm_while_a_request_runs(served):
    """Guards a fixed bug: SIGTERM did not stop the server while a request was still running.
    The request here never completes (its body never arrives), so only the shutdown time-out
    can end it."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as stuck:
        stuck.sendall(
            b"POST /ui/signin HTTP/1.1\r\nHost: x\r\n"
            b"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: 1000\r\n\r\n"
            b"username=a"
        )
        # A complete request on another connection answers, so the first one is being read.
        assert httpx.get(f"{served.base}/health", timeout=10).status_code == 200
        served.process.send_signal(signal.SIGTERM)
        # uvicorn stops, then ends the process by the signal it caught, as its sender expects.
        assert served.process.wait(timeout=60) in (0, -signal.SIGTERM)
        assert closed(stuck)
    output = served.output()
    assert "Cancel 1 running task(s), timeout graceful shutdown exceeded" in output
    assert 'HTTP/1.1" 200' not in output  # uvicorn's own access log is off


@pytest.mark.parametrize("backend", ["sqlite"])
@pytest.mark.parametrize(
    "head", [b"", b"GET /health HTTP/1.1\r\nHost: x\r\n"], ids=["silent", "headers-unfinished"]
)
def test_a_client_too_slow_with_its_headers_is_cut_off(served, head):
    """Guards a finding: slow clients never timed out, so a few could hold every connection.
    The server closes the connection after the header time-out (1 s here); the socket's 30 s
    time-out only keeps a failing test from hanging."""
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as slow:
        slow.sendall(head)
        assert closed(slow)
    assert httpx.get(f"{served.base}/health", timeout=10).status_code == 200


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_kept_alive_connection_gets_a_new_deadline_per_request(served):
    with socket.create_connection(("127.0.0.1", served.port), timeout=30) as client:
        for _ in range(2):
            client.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
            answer = b""
            while not answer.endswith(b'"database":"ok"}'):  # headers and body may come apart
                answer += client.recv(65536)
            assert answer.startswith(b"HTTP/1.1 200 ")
        client.sendall(b"GET /health HTTP/1.1\r\n")  # a third request, never finished
        assert closed(client)
