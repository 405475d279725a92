"""The served app keeps answering while a large import runs in its worker thread.

Guards a fixed bug: the import ran on the event loop, and `/health` timed out until it ended.
Ordering, not a stopwatch: once the import's request is fully sent, health answers must still
arrive before the import's own answer.
"""

import socket
import threading
from urllib.parse import urlsplit

import httpx

ROWS = 1_000
HEALTH_ANSWERS = 10


def send_import(server: str, body: bytes, token: str) -> socket.socket:
    """The whole request written to the server's socket before this returns."""
    address = urlsplit(server)
    connection = socket.create_connection((address.hostname, address.port))
    head = (
        f"POST /api/import/contracts HTTP/1.1\r\nHost: {address.netloc}\r\n"
        f"Authorization: Bearer {token}\r\nContent-Type: text/csv\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    )
    connection.sendall(head.encode() + body)
    return connection


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
