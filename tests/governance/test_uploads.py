"""Document uploads: judged by content, zip bombs refused unopened, safe names (T40-T45)."""

import errno
import hashlib
import io
import os
import re
import stat
import time
import zipfile
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func
from sqlalchemy import select

from governance import uploads
from governance.uploads import DocumentKind
from governance.uploads import StoredFile
from portal.extensions import db
from portal.models import utcnow
from tests.sample_files import CONTENT_TYPES
from tests.sample_files import MB
from tests.sample_files import _bomb_docx
from tests.sample_files import make_pdf

ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/officeDocument" Target="word/document.xml"/>'
    "</Relationships>"
)
DOCUMENT = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
    "<w:body><w:p><w:r><w:t>Signed memorandum</w:t></w:r></w:p></w:body></w:document>"
)


def document_rels(*relationships: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/'
        f'relationships">{"".join(relationships)}</Relationships>'
    )


def make_zip(entries, *, compression=zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=compression) as archive:
        for entry in entries:
            if isinstance(entry, zipfile.ZipInfo):
                archive.writestr(entry, b"x")
            else:
                name, data = entry
                archive.writestr(name, data)
    return buffer.getvalue()


def make_docx(*, main=uploads.DOCX_MAIN_TYPE, extra=(), rels=None, document=DOCUMENT):
    entries = [
        ("[Content_Types].xml", CONTENT_TYPES.format(main=main)),
        ("_rels/.rels", ROOT_RELS),
        ("word/document.xml", document),
    ]
    if rels is not None:
        entries.append(("word/_rels/document.xml.rels", rels))
    return make_zip([*entries, *extra])


def make_odt(mimetype=uploads.ODT_MIMETYPE, extra=()):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED
        )
        archive.writestr(
            "content.xml", "<office:document-content/>", zipfile.ZIP_DEFLATED
        )
        archive.writestr("META-INF/manifest.xml", "<manifest/>", zipfile.ZIP_DEFLATED)
        for name, data in extra:
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture(autouse=True)
def upload_root(app, tmp_path):
    """Uploads go to a folder of the test's own."""
    root = tmp_path / "uploads"
    app.config["UPLOAD_FOLDER"] = str(root)
    return root


def store(data: bytes, filename: str, partnership, **kwargs):
    return uploads.store(io.BytesIO(data), filename, partnership=partnership, **kwargs)


def stored_count() -> int:
    return db.session.scalar(select(func.count()).select_from(StoredFile))


def assert_nothing_kept(root):
    db.session.rollback()
    assert stored_count() == 0
    assert not root.exists() or list(root.iterdir()) == []


# Accepted documents -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "filename", "kind", "display"),
    [
        (make_pdf(), "Signed MoU.pdf", DocumentKind.PDF, "Signed MoU.pdf"),
        (make_docx(), "mou v2.docx", DocumentKind.DOCX, "mou v2.docx"),
        (make_odt(), "minutes.odt", DocumentKind.ODT, "minutes.odt"),
        # The name does not decide the type; the content does.
        (make_pdf(), "scan.docx", DocumentKind.PDF, "scan.docx.pdf"),
        (make_docx(), "no extension", DocumentKind.DOCX, "no extension.docx"),
    ],
)
def test_accepted_documents_are_stored_by_content(
    world, upload_root, data, filename, kind, display
):
    stored = store(data, filename, world["x"], by=world["x_coordinator"])
    db.session.commit()
    assert stored.kind is kind
    assert stored.content_type == kind.content_type
    assert stored.display_name == display
    assert stored.size_bytes == len(data)
    assert stored.sha256 == hashlib.sha256(data).hexdigest()
    assert re.fullmatch(r"[0-9a-f]{32}", stored.storage_name)
    path = uploads.path_of(stored)
    assert path.parent == upload_root.resolve()
    assert path.read_bytes() == data
    assert uploads.read_bytes(stored) == data
    # Only the stored file is left: no partial writes.
    assert [p.name for p in upload_root.iterdir()] == [stored.storage_name]
    assert stored.uploaded_by == world["x_coordinator"]


def test_uploads_live_outside_the_static_folder(app, world, monkeypatch):
    monkeypatch.delitem(app.config, "UPLOAD_FOLDER")
    root = uploads.upload_root()
    assert root == (Path(app.instance_path) / "uploads").resolve()
    assert not str(root).startswith(str(Path(app.static_folder).resolve()))


def test_docx_with_an_ordinary_hyperlink_is_accepted(world):
    hyperlink = (
        '<Relationship Id="rId5" Type="http://schemas.openxmlformats.org/'
        'officeDocument/2006/relationships/hyperlink" '
        'Target="https://example.org/" TargetMode="External"/>'
    )
    stored = store(make_docx(rels=document_rels(hyperlink)), "a.docx", world["x"])
    assert stored.kind is DocumentKind.DOCX


# T40: allowlist by content -----------------------------------------------------------

EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 200
HTML = b"<!doctype html><html><script>window.__x=1</script></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="window.__x=1"/>'
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 500
REMOTE_TEMPLATE = document_rels(
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/'
    '2006/relationships/attachedTemplate" Target="https://evil.example/t.dotm" '
    'TargetMode="External"/>'
)
MACRO_TYPE = "application/vnd.ms-word.document.macroEnabled.main+xml"


@pytest.mark.parametrize(
    ("data", "filename", "message"),
    [
        (EXE, "report.pdf", "must be a PDF, a Word document"),
        (HTML, "report.pdf", "must be a PDF, a Word document"),
        (HTML, "report.pdf.html", "must be a PDF, a Word document"),
        (b"<?php system($_GET['c']); ?>", "report.php%00.pdf", "must be a PDF"),
        (SVG, "drawing.svg", "must be a PDF, a Word document"),
        (OLE, "old.doc", "Older Word"),
        (b"", "empty.pdf", "The selected file is empty"),
        (b"%PDF-1.7\nnot really a pdf", "fake.pdf", "damaged or incomplete"),
        (b"%PDF-x.y\n%%EOF", "fake.pdf", "must be a PDF"),
        (
            make_docx(main=MACRO_TYPE, extra=[("word/vbaProject.bin", b"\x00" * 64)]),
            "macros.docx",
            "macros",
        ),
        (make_docx(main=MACRO_TYPE), "macros.docx", "macros"),
        (
            make_docx(
                main="application/vnd.openxmlformats-officedocument."
                "wordprocessingml.template.main+xml"
            ),
            "template.docx",
            "not templates",
        ),
        (make_docx(rels=REMOTE_TEMPLATE), "remote.docx", "remote template"),
        (make_zip([("readme.txt", b"hello")]), "archive.docx", "must be a PDF"),
        (
            make_zip([("[Content_Types].xml", CONTENT_TYPES.format(main="x"))]),
            "no-body.docx",
            "must be a PDF",
        ),
        (
            make_odt(mimetype=b"application/vnd.oasis.opendocument.spreadsheet"),
            "s.odt",
            "must be a PDF",
        ),
        (make_odt(extra=[("Basic/Standard/Module1.xml", "<x/>")]), "m.odt", "macros"),
        (b"PK\x03\x04 truncated zip", "broken.docx", "must be a PDF"),
    ],
)
def test_files_that_are_not_what_they_claim_are_refused(
    world, upload_root, data, filename, message
):
    with pytest.raises(uploads.UploadError, match=message) as caught:
        store(data, filename, world["x"])
    assert caught.value.status == 422
    assert_nothing_kept(upload_root)


# T41: zip bombs, unsafe entries, XXE --------------------------------------------------


def test_a_zip_bomb_posing_as_docx_is_refused_without_inflating(
    world, upload_root, monkeypatch
):
    bomb = _bomb_docx(200 * MB)
    assert len(bomb) < 1 * MB

    def no_inflating(*args, **kwargs):
        raise AssertionError("the archive was opened")

    monkeypatch.setattr(zipfile.ZipFile, "open", no_inflating)
    started = time.monotonic()
    with pytest.raises(uploads.UploadError, match="zip bomb"):
        store(bomb, "innocent.docx", world["x"])
    assert time.monotonic() - started < 2
    assert_nothing_kept(upload_root)


def test_many_small_entries_adding_up_are_refused(world, upload_root):
    # Each entry is under the ratio floor, but together they inflate past 50 MB.
    blob = b"\x00" * (900 * 1024)
    entries = [(f"word/media/{n}.bin", blob) for n in range(60)]
    data = make_docx(extra=entries)
    with pytest.raises(uploads.UploadError, match="zip bomb"):
        store(data, "many.docx", world["x"])
    assert_nothing_kept(upload_root)


def test_too_many_entries_are_refused(world, upload_root):
    data = make_docx(extra=[(f"customXml/item{n}.xml", "<a/>") for n in range(5000)])
    with pytest.raises(uploads.UploadError, match="too many parts"):
        store(data, "entries.docx", world["x"])
    assert_nothing_kept(upload_root)


def _symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("word/link.xml")
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([("../../x", b"x")], "unsafe name"),
        ([("/etc/x", b"x")], "unsafe name"),
        ([("word\\..\\..\\x", b"x")], "unsafe name"),
        ([("C:/x", b"x")], "unsafe name"),
        ([_symlink_entry()], "link to another file"),
    ],
)
def test_unsafe_entry_names_are_refused(world, upload_root, extra, message):
    with pytest.raises(uploads.UploadError, match=message):
        store(make_docx(extra=extra), "paths.docx", world["x"])
    assert_nothing_kept(upload_root)


XXE = (
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    "<cp:coreProperties>&xxe;</cp:coreProperties>"
)
LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<Types>&lol2;</Types>"
)


@pytest.mark.parametrize(
    "data",
    [
        make_docx(extra=[("docProps/core.xml", XXE)]),
        make_zip(
            [
                ("[Content_Types].xml", LAUGHS),
                ("word/document.xml", DOCUMENT),
            ]
        ),
        make_docx(document=XXE),
    ],
    ids=["xxe", "billion-laughs", "xxe-in-body"],
)
def test_xml_entities_are_refused_not_expanded(world, upload_root, data):
    with pytest.raises(uploads.UploadError, match="document type declaration"):
        store(data, "entities.docx", world["x"])
    assert_nothing_kept(upload_root)


# T42: PDF active content ----------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"4 0 obj << /S /JavaScript /JS (app.alert(1)) >> endobj",
        b"4 0 obj << /OpenAction << /S /JavaScript /JS (x) >> >> endobj",
        b"4 0 obj << /AA << /O 5 0 R >> >> endobj",
        b"4 0 obj << /S /Launch /F (cmd.exe) >> endobj",
        b"4 0 obj << /EmbeddedFiles 6 0 R >> endobj",
        b"4 0 obj << /Type /EmbeddedFile >> endobj",
        b"4 0 obj << /RichMedia 6 0 R >> endobj",
        b"4 0 obj << /XFA 6 0 R >> endobj",
        b"4 0 obj << /S /J#61vaScript /J#53 (x) >> endobj",
    ],
)
def test_pdfs_with_active_content_are_refused(world, upload_root, body):
    with pytest.raises(uploads.UploadError, match="scripts, attachments or actions"):
        store(make_pdf(body), "active.pdf", world["x"])
    assert_nothing_kept(upload_root)


def test_active_content_hidden_in_a_compressed_object_stream_is_found(
    world, upload_root
):
    hidden = zlib.compress(b"5 0 << /S /JavaScript /JS (app.alert(1)) >>")
    body = (
        b"4 0 obj << /Type /ObjStm /N 1 /First 4 /Filter /FlateDecode /Length "
        + str(len(hidden)).encode()
        + b" >>\nstream\n"
        + hidden
        + b"\nendstream\nendobj"
    )
    with pytest.raises(uploads.UploadError, match="scripts"):
        store(make_pdf(body), "hidden.pdf", world["x"])
    assert_nothing_kept(upload_root)


def test_encrypted_pdfs_are_refused(world, upload_root):
    pdf = make_pdf().replace(
        b"trailer << /Root 1 0 R", b"trailer << /Encrypt 9 0 R /Root 1 0 R"
    )
    with pytest.raises(uploads.UploadError, match="Password-protected"):
        store(pdf, "locked.pdf", world["x"])
    assert_nothing_kept(upload_root)


# T43: hostile filenames -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("../../app/config.py", "config.py.pdf"),
        ("..\\..\\windows\\win.ini", "win.ini.pdf"),
        ("/etc/passwd", "passwd.pdf"),
        # Cut at the last separator, like any path.
        ("x\r\nContent-Type: text/html.pdf", "html.pdf"),
        ("x\r\nContent-Type: evil.pdf", "xContent-Type: evil.pdf"),
        ("invoice\u202efdp.exe", "invoicefdp.exe.pdf"),
        ("CON.pdf", "_CON.pdf"),
        ("\ufb01le.pdf", "file.pdf"),
        (".pdf", "document.pdf"),
        ("", "document.pdf"),
        ("report\x00.pdf", "report.pdf"),
        ("  minutes .PDF ", "minutes.pdf"),
        ("Board papers 🗂.pdf", "Board papers 🗂.pdf"),
    ],
)
def test_hostile_filenames_become_safe_display_names(
    world, upload_root, filename, expected
):
    stored = store(make_pdf(), filename, world["x"])
    assert stored.display_name == expected
    assert re.fullmatch(r"[0-9a-f]{32}", stored.storage_name)
    assert uploads.path_of(stored).parent == upload_root.resolve()
    assert not any(ch in stored.display_name for ch in "\r\n\x00\u202e/\\")


def test_long_names_are_capped_and_keep_their_real_extension(world):
    stored = store(make_pdf(), "a" * 300 + ".exe", world["x"])
    assert len(stored.display_name) <= uploads.MAX_DISPLAY_NAME
    assert stored.display_name.endswith(".pdf")


@pytest.mark.parametrize(
    "name",
    [
        "a\"; filename*=UTF-8''evil.html.pdf",
        "x\r\nSet-Cookie: a=b.pdf",
        "R\u00e9sum\u00e9 \u2013 final.pdf",
        "🗂.pdf",
    ],
)
def test_content_disposition_is_one_safe_header(name):
    header = uploads.content_disposition(name)
    assert header.startswith('attachment; filename="')
    assert "\r" not in header and "\n" not in header
    fallback = re.match(
        r'attachment; filename="([^"]*)"; filename\*=UTF-8\'\'(\S+)$', header
    )
    assert fallback, header
    assert fallback.group(1).isascii()
    assert uploads.urllib.parse.unquote(fallback.group(2)) == name


# T44: downloads cannot run in our origin ----------------------------------------------


def test_download_headers_use_the_sniffed_type_and_sandbox(world):
    polyglot = make_pdf(b"<html><script>window.__x=1</script></html>")
    stored = store(polyglot, "page.html", world["x"])
    headers = uploads.download_headers(stored)
    assert headers["Content-Type"] == "application/pdf"
    assert headers["Content-Disposition"].startswith("attachment;")
    assert "page.html.pdf" in headers["Content-Disposition"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert headers["Cache-Control"] == "private, no-store"
    assert headers["Cross-Origin-Resource-Policy"] == "same-origin"
    assert headers["Content-Length"] == str(len(polyglot))


# T45: size, quota and storage atomicity -----------------------------------------------


class EndlessZeros(io.RawIOBase):
    """A stream that would go on for ever; counts what was read."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = 65536 if size is None or size < 0 else size
        self.read_bytes += size
        return b"\x00" * size


def test_a_huge_file_is_refused_without_reading_it_all(app, world, upload_root):
    app.config["UPLOAD_MAX_BYTES"] = 2 * MB
    stream = EndlessZeros()
    with pytest.raises(
        uploads.UploadTooLargeError, match="smaller than 2 MB"
    ) as caught:
        uploads.store(stream, "huge.pdf", partnership=world["x"])
    assert caught.value.status == 413
    assert stream.read_bytes <= 2 * MB + 65536
    assert_nothing_kept(upload_root)


def test_the_default_limit_is_10_mb(world, upload_root):
    data = make_pdf(b"%" + b"x" * (10 * MB))
    with pytest.raises(uploads.UploadTooLargeError, match="10 MB"):
        store(data, "big.pdf", world["x"])
    assert_nothing_kept(upload_root)


def test_the_partnership_quota_is_enforced(app, world, upload_root):
    first = make_pdf()
    app.config["UPLOAD_PARTNERSHIP_QUOTA_BYTES"] = len(first) + 10
    store(first, "one.pdf", world["x"])
    db.session.commit()
    with pytest.raises(uploads.UploadError, match="storage allowance") as caught:
        store(make_pdf(), "two.pdf", world["x"])
    assert caught.value.status == 422
    db.session.rollback()
    assert stored_count() == 1
    assert len(list(upload_root.iterdir())) == 1
    # Another partnership has its own allowance.
    store(make_pdf(), "three.pdf", world["y"])


def test_a_full_disk_saves_nothing(world, upload_root, monkeypatch):
    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(uploads.os, "replace", full)
    with pytest.raises(
        uploads.StorageUnavailableError, match="Nothing was saved"
    ) as caught:
        store(make_pdf(), "a.pdf", world["x"])
    assert caught.value.status == 503
    assert_nothing_kept(upload_root)


def test_orphans_are_swept_and_missing_files_reported(world, upload_root):
    kept = store(make_pdf(), "kept.pdf", world["x"])
    db.session.commit()
    orphan = store(make_pdf(), "orphan.pdf", world["x"])
    orphan_name = orphan.storage_name
    db.session.rollback()  # the row is gone; the file is not
    recent = store(make_pdf(), "recent.pdf", world["x"])
    recent_name = recent.storage_name
    db.session.rollback()
    (upload_root / "notes.txt").write_text("not ours")
    old = time.time() - 2 * 24 * 3600
    os.utime(upload_root / orphan_name, (old, old))
    os.utime(upload_root / kept.storage_name, (old, old))
    removed = uploads.sweep_orphans(older_than=timedelta(hours=24), now=utcnow())
    assert removed == [orphan_name]
    assert sorted(p.name for p in upload_root.iterdir()) == sorted(
        [kept.storage_name, recent_name, "notes.txt"]
    )
    assert uploads.missing_files() == []
    uploads.path_of(kept).unlink()
    assert uploads.missing_files() == [kept]


def test_a_tampered_file_fails_its_checksum(world):
    stored = store(make_pdf(), "a.pdf", world["x"])
    uploads.path_of(stored).write_bytes(make_pdf(b"% changed"))
    with pytest.raises(uploads.UploadError, match="checksum"):
        uploads.read_bytes(stored)


def test_storage_names_are_checked_before_use(world):
    stored = store(make_pdf(), "a.pdf", world["x"])
    stored.storage_name = "../../secret_key"
    with pytest.raises(uploads.UploadError, match="not valid"):
        uploads.path_of(stored)
    db.session.rollback()
