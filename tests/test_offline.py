"""A scan makes no network access: every socket is refused while it runs."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from tests.helpers import run_scan


class NetworkUsed(Exception):
    pass


def test_a_scan_opens_no_socket(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    src = tmp_path / "src"
    src.mkdir()
    (src / "chat.log").write_text("mail jan@example.nl, bel +31 6 12345678, bsn 123456782, ip 10.1.2.3\n")
    (src / "data.json").write_text('{"iban": "NL91ABNA0417164300"}')

    def refuse(*args: object, **kwargs: object) -> None:
        raise NetworkUsed("a scan tried to open a socket")

    monkeypatch.setattr(socket, "socket", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    scan = run_scan(tmp_path, str(src))
    assert scan.exit_code == 0, scan.result.output
    assert scan.rows("errors") == []
    assert len(scan.rows("findings")) >= 2
