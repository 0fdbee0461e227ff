"""Containers in mail in containers: a PDF attached to an e-mail inside an mbox inside a zip."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from tests.extract.test_documents import pdf_bytes
from tests.extract.test_mail import _mbox_bytes
from tests.helpers import h, run_scan


def test_a_pdf_attached_to_a_mail_in_an_mbox_in_a_zip(tmp_path: Path) -> None:
    msg = EmailMessage()
    msg["From"] = "Jan <jan@example.nl>"
    msg["To"] = "support@example.com"
    msg["Subject"] = "factuur"
    msg["Date"] = "Tue, 03 Mar 2026 10:00:00 +0000"
    msg["Message-ID"] = "<m1@example.nl>"
    msg.set_content("zie bijlage\n")
    pdf = pdf_bytes([["Factuur"], ["Klant", "bsn 123456782"]])
    msg.add_attachment(pdf, maintype="application", subtype="pdf", filename="factuur.pdf")
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("export/mail.mbox", _mbox_bytes([msg.as_bytes(policy=default)]))
    src = tmp_path / "src"
    src.mkdir()
    (src / "backup.zip").write_bytes(buf.getvalue())

    scan = run_scan(tmp_path, str(src), "--entities", "NL_BSN")
    assert scan.exit_code == 0, scan.result.output
    (finding,) = scan.rows("findings")
    assert {k: finding[k] for k in ("member", "page", "line", "entity", "value_hash")} == {
        "member": "export/mail.mbox!<m1@example.nl>!factuur.pdf",
        "page": 2,
        "line": 2,
        "entity": "NL_BSN",
        "value_hash": h("NL_BSN", "123456782"),
    }
    assert finding["modified"] == datetime(2026, 3, 3, 10, 0, tzinfo=UTC)
    assert [(r["member"], r["content_type"], r["status"]) for r in scan.rows("objects")] == [
        ("", "application/zip", "scanned"),
        ("export/mail.mbox", "application/mbox", "scanned"),
        ("export/mail.mbox!<m1@example.nl>", "message/rfc822", "scanned"),
        ("export/mail.mbox!<m1@example.nl>!factuur.pdf", "application/pdf", "scanned"),
    ]
