"""Servers under test: started in their own process group on loopback, always stopped."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from pathlib import Path

HOST = "127.0.0.1"
# Loopback only, and never through a proxy that the environment may name.
_OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def status(url: str, *, timeout: float = 5.0) -> int | None:
    """The HTTP status of GET `url`, or None when nothing answers."""
    try:
        with _OPENER.open(url, timeout=timeout) as response:
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code
    except (OSError, ValueError):
        return None


def wait_idle(url: str, *, quick: float = 0.1, timeout: float = 30.0) -> None:
    """Wait until `url` answers fast twice running: a backlog left by wrk's last run has drained.

    wrk closes its connections at the end, but the server still works through what they sent.
    """
    deadline, fast = time.monotonic() + timeout, 0
    while fast < 2 and time.monotonic() < deadline:
        started = time.monotonic()
        answered = status(url, timeout=timeout) is not None
        fast = fast + 1 if answered and time.monotonic() - started < quick else 0


@contextmanager
def serving(
    command: list[str],
    *,
    ready_url: str,
    log: Path,
    env: Mapping[str, str] | None = None,
    timeout: float = 60.0,
) -> Iterator[None]:
    """Run `command` for the block, entered once `ready_url` answers 200; output goes to `log`."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("wb") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
            start_new_session=True,  # its own process group: stop its workers with it
        )
        try:
            _wait_ready(process, ready_url, timeout, log)
            yield
        finally:
            _stop(process)


def _wait_ready(process: subprocess.Popen[bytes], url: str, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}; see {log}")
        if status(url, timeout=2.0) == 200:
            return
        time.sleep(0.2)
    raise TimeoutError(f"{url} did not answer 200 within {timeout:g} s; see {log}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole group; after 10 s, or once the leader is gone, SIGKILL what is left."""
    _signal_group(process, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=10.0)
    _signal_group(process, signal.SIGKILL)  # workers that outlived their parent, too
    process.wait(timeout=5.0)


def _signal_group(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)
