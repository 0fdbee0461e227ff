"""Real S3 and GCS servers for tests, on 127.0.0.1, started once per test process.

moto's ThreadedMotoServer speaks the S3 REST API; gcp-storage-emulator the GCS JSON API. Also
a corpus with planted values, and a proxy that fails the first requests (503, then a reset).
"""

from __future__ import annotations

import functools
import http.client
import socket
import struct
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import boto3
import pytest

#: relative path -> content; the same corpus goes to a folder, a bucket prefix and a GCS prefix
CORPUS: dict[str, bytes] = {
    "notes/klant.txt": b"Klantdossier\nBSN: 111222333\nRekening IBAN NL91 ABNA 0417 1643 00\n",
    "data/payments.csv": b"name,iban,amount\nJan,NL91ABNA0417164300,12.50\nPiet,none,3\n",
    "data/people.jsonl": b'{"id": 1, "bsn": "123456782"}\n{"id": 2, "bsn": "none"}\n',
    "readme.md": b"Nothing personal here.\n",
}


#: the detectors the corpus plants values for: keeps these tests exact as more detectors arrive
ENTITIES = ("--entities", "NL_BSN,IBAN_CODE")


def write_corpus(root: Path) -> Path:
    for rel, data in CORPUS.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    return root


#: servers started by this test process, stopped at the end of the session (tests/conftest.py):
#: their threads are not daemons, so a server left running keeps pytest from exiting
STARTED: list[Any] = []


def stop_servers() -> None:
    while STARTED:
        STARTED.pop().stop()


@functools.cache
def moto_endpoint() -> str:
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    STARTED.append(server)
    host, port = server.get_host_and_port()
    return f"http://{host}:{port}"


@functools.cache
def gcs_endpoint() -> str:
    from gcp_storage_emulator.server import create_server

    server = create_server("127.0.0.1", 0, in_memory=True)
    server.start()
    STARTED.append(server)
    port = server._api._httpd.server_address[1]  # port 0: the chosen port is only here
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def s3_env(monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto endpoint, with boto3's environment pointed at it (fake credentials)."""
    endpoint = moto_endpoint()
    monkeypatch.setenv("AWS_ENDPOINT_URL", endpoint)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-west-1")
    for var in ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE"):
        monkeypatch.delenv(var, raising=False)
    return endpoint


@pytest.fixture
def gcs_env(monkeypatch: pytest.MonkeyPatch) -> str:
    endpoint = gcs_endpoint()
    monkeypatch.setenv("STORAGE_EMULATOR_HOST", endpoint)
    return endpoint


def s3_client(endpoint: str) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        region_name="eu-west-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


_names = iter(range(1_000_000))


def new_bucket_name(stem: str) -> str:
    """Each test gets its own bucket on the shared servers."""
    return f"{stem}-{next(_names)}"


class FailingProxy:
    """Forwards HTTP to `upstream`, but answers the first requests with a 503 or a reset, and every
    request whose path holds a key of `always` with that fault: `403`, `429`, `503`, `reset`, or `truncate` (the
    upstream's status and full Content-Length, then half the body and a closed connection)."""

    def __init__(
        self, upstream: str, failures: tuple[str, ...] = ("503", "reset"), always: dict[str, str] | None = None
    ) -> None:
        self.failures = list(failures)
        self.always = dict(always or {})
        self.failed = 0
        self.forwarded = 0
        self.bytes_forwarded = 0  # response bodies passed on to the client
        self._lock = threading.Lock()
        host, port = upstream.removeprefix("http://").split(":")
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: Any) -> None:
                pass

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() != "chunked":
                    return self.rfile.read(int(self.headers.get("Content-Length") or 0))
                chunks = []  # pyarrow's S3 client uploads in HTTP chunks: passed on whole, with a length
                while size := int(self.rfile.readline().split(b";")[0], 16):
                    chunks.append(self.rfile.read(size))
                    self.rfile.readline()
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass  # trailers
                return b"".join(chunks)

            def _any(self) -> None:
                body = self._body()
                with proxy._lock:
                    failure = proxy.failures.pop(0) if proxy.failures else None
                    failure = failure or next((f for k, f in proxy.always.items() if k in self.path), None)
                    proxy.failed += failure is not None
                if failure == "reset":  # RST instead of an answer: a connection error for the client
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    self.connection.close()
                    self.close_connection = True
                    return
                if failure == "403":  # a bucket policy that denies the request
                    payload = b"<Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>"
                    self.send_response(403)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    return
                if failure in ("503", "429"):  # S3's SlowDown, GCS's rate limit: both mean "slow down"
                    payload = b"<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>"
                    self.send_response(int(failure))
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    if self.command != "HEAD":  # a HEAD answer has no body
                        self.wfile.write(payload)
                    return
                upstream_conn = http.client.HTTPConnection(host, int(port), timeout=30)
                headers = {
                    k: v for k, v in self.headers.items() if k.lower() not in ("connection", "transfer-encoding")
                }
                if body:
                    headers["Content-Length"] = str(len(body))
                upstream_conn.request(self.command, self.path, body=body or None, headers=headers)
                resp = upstream_conn.getresponse()
                data = resp.read()
                self.send_response(resp.status)
                for k, v in resp.getheaders():
                    if k.lower() not in ("transfer-encoding", "connection", "content-length", "server", "date"):
                        self.send_header(k, v)
                # a HEAD answer's length is the object's, though no body follows
                length = resp.getheader("Content-Length", "0") if self.command == "HEAD" else str(len(data))
                self.send_header("Content-Length", length)
                self.end_headers()
                if failure == "truncate":
                    self.wfile.write(data[: len(data) // 2])
                    self.wfile.flush()
                    self.connection.shutdown(socket.SHUT_RDWR)
                    self.close_connection = True
                elif self.command != "HEAD":
                    self.wfile.write(data)
                with proxy._lock:
                    proxy.forwarded += 1
                    proxy.bytes_forwarded += len(data)
                upstream_conn.close()

            do_GET = do_PUT = do_POST = do_HEAD = do_DELETE = _any

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
