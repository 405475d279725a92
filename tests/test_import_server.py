"""The served app keeps answering while a large import runs in its worker thread.

Guards a fixed bug: the import ran on the event loop, and `/health` timed out until it ended.
Ordering, not a stopwatch: once the import's request is fully sent, health answers must still
arrive before the import's own answer. And SIGTERM stops a running import: the server answers
503, writes nothing and exits.
"""

import signal
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import pytest
from sqlalchemy import Engine

from tests.conftest import dump

ROWS = 20_000  # a few seconds of work in the import, milliseconds per health answer
HEALTH_ANSWERS = 10


def send_import(
    server: str, body: bytes, token: str, *, query: str = "", expect_continue: bool = False
) -> socket.socket:
    """The whole request written to the server's socket before this returns; with
    `expect_continue`, the body only once the server asked for it (the request is then in the
    application, reading its body)."""
    address = urlsplit(server)
    connection = socket.create_connection((address.hostname, address.port))
    head = (
        f"POST /api/import/contracts{query} HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n"
        + ("Expect: 100-continue\r\n" if expect_continue else "")
        + "\r\n"
    )
    connection.sendall(head.encode())
    if expect_continue:
        interim = b""
        while b"\r\n\r\n" not in interim:
            chunk = connection.recv(1024)
            assert chunk, "the server closed the connection before asking for the body"
            interim += chunk
        assert interim.startswith(b"HTTP/1.1 100"), interim
    connection.sendall(body)
    return connection


def read_all(connection: socket.socket) -> bytearray:
    answer = bytearray()
    while chunk := connection.recv(65536):
        answer.extend(chunk)
    return answer


def test_health_answers_while_a_large_import_runs(server, tokens):
    body = b"programme,title,kind\n" + b"".join(
        f"mmf,Spares {n},support\n".encode() for n in range(ROWS)
    )
    answers: list[str] = []
    answer = bytearray()
    connection = send_import(server, body, tokens["editor"])

    def read_answer() -> None:
        with connection:
            while chunk := connection.recv(65536):
                answer.extend(chunk)
        answers.append("import")

    reader = threading.Thread(target=read_answer)
    reader.start()
    with httpx.Client(base_url=server, timeout=30) as client:
        while reader.is_alive():
            if client.get("/health").status_code == 200:
                answers.append("health")
    reader.join()
    assert answer.startswith(b"HTTP/1.1 200"), bytes(answer[:300])
    assert answer.count(b'"action":"create"') == ROWS
    assert answers.index("import") >= HEALTH_ANSWERS, answers


def wait_until(condition: Callable[[], bool], seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "gave up waiting"
        time.sleep(0.02)


def write_lock_taken(engine: Engine) -> bool:
    """Whether another transaction holds the registry's write lock (an import in progress)."""
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        if engine.dialect.name == "sqlite":
            cursor.execute("PRAGMA busy_timeout=0")
            cursor.execute("BEGIN IMMEDIATE")
        else:
            cursor.execute("SELECT version FROM data_version FOR UPDATE NOWAIT")
        connection.rollback()
        return False
    except Exception:  # "database is locked" / LockNotAvailable
        return True
    finally:
        connection.close()


def hold_write_lock(engine: Engine) -> Any:
    """A connection holding the registry's write lock until it rolls back."""
    connection = engine.raw_connection()
    cursor = connection.cursor()
    if engine.dialect.name == "sqlite":
        cursor.execute("BEGIN IMMEDIATE")
    else:
        cursor.execute("SELECT version FROM data_version FOR UPDATE")
    return connection


def refuses_connections(server: str) -> bool:
    address = urlsplit(server)
    try:
        socket.create_connection((address.hostname, address.port), timeout=5).close()
    except OSError:
        return True
    return False


def test_sigterm_stops_a_running_import_and_writes_nothing(served_process, tokens, engine):
    """In order, each step waiting for the one before (no race): an import installs the signal
    handler; the registry's write lock is held; the big import's request is in the server (it
    asked for the body: 100 Continue); SIGTERM, handled once the server stops listening; the
    lock goes, the import runs, meets the stop at its first row and writes nothing."""
    base, process = served_process
    warm_up = send_import(base, b"programme,title,kind\nmmf,Spares,support\n", tokens["editor"],
                          query="?dry_run=true")  # fmt: skip
    with warm_up:
        assert read_all(warm_up).startswith(b"HTTP/1.1 200")
    body = b"programme,title,kind\n" + b"".join(
        f"mmf,Spares {n},support\n".encode() for n in range(ROWS)
    )
    before = dump(engine)
    lock = hold_write_lock(engine)
    try:
        connection = send_import(base, body, tokens["editor"], expect_continue=True)
        process.send_signal(signal.SIGTERM)
        wait_until(lambda: refuses_connections(base))  # the signal was handled: stop is set
    finally:
        lock.rollback()
        lock.close()
    with connection:
        answer = read_all(connection)
    # uvicorn shuts down gracefully, then re-raises the signal it caught: killed by SIGTERM.
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    assert answer.startswith(b"HTTP/1.1 503"), bytes(answer[:300])
    assert b'"field":"file"' in answer
    assert dump(engine) == before


def test_health_answers_while_an_import_and_a_pdf_report_run_together(server, tokens):
    """The two slowest requests at once, each in its worker thread: the probe still answers,
    many times, before either of them is done."""
    body = b"programme,title,kind\n" + b"".join(
        f"mmf,Spare part {n},support\n".encode() for n in range(ROWS)
    )
    answers: list[str] = []
    pdf: list[httpx.Response] = []
    connection = send_import(server, body, tokens["editor"])

    def read_import() -> None:
        with connection:
            while connection.recv(65536):
                pass
        answers.append("import")

    def fetch_pdf() -> None:
        with httpx.Client(base_url=server, timeout=120) as client:
            pdf.append(client.get("/reports/programmes/mmf", params={"format": "pdf"}))
        answers.append("pdf")

    slow = [threading.Thread(target=read_import), threading.Thread(target=fetch_pdf)]
    for thread in slow:
        thread.start()
    with httpx.Client(base_url=server, timeout=30) as client:
        while any(thread.is_alive() for thread in slow):
            if client.get("/health").status_code == 200:
                answers.append("health")
    for thread in slow:
        thread.join()
    assert pdf[0].status_code == 200
    assert pdf[0].content.startswith(b"%PDF")
    first_done = min(answers.index("import"), answers.index("pdf"))
    assert first_done >= HEALTH_ANSWERS, answers


def children_of(pid: int) -> set[int]:
    """The processes `pid` started (Linux: /proc)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found |= {int(child) for child in (task / "children").read_text().split()}
    return found


def alive(pid: int) -> bool:
    try:
        return "zombie" not in Path(f"/proc/{pid}/status").read_text().lower()
    except FileNotFoundError:
        return False


@pytest.mark.one_database
def test_the_servers_pdf_processes_end_with_it(served_process):
    """Guards a fixed leak: uvicorn re-raises SIGTERM after shutting down, which ends the
    process without Python's exit handlers, so the PDF drawing processes outlived it."""
    base, process = served_process
    with httpx.Client(base_url=base, timeout=60) as client:
        assert client.get("/reports/programmes/mmf", params={"format": "pdf"}).status_code == 200
    drawers = children_of(process.pid)
    assert drawers  # the pool's processes (and multiprocessing's resource tracker)
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    wait_until(lambda: not any(alive(pid) for pid in drawers))
