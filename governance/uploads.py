"""Safe storage of uploaded documents: PDF, Word (DOCX) and OpenDocument text (ODT).

A file is judged by its content, never by its name or the browser's content type:
PDFs by their ``%PDF-`` header and trailer, DOCX and ODT by their zip structure.
Zip archives are checked from their central directory before anything is
inflated, so a zip bomb is refused without being unpacked (T41).

Files live in ``instance/uploads/`` (``UPLOAD_FOLDER``), outside the static
folder, under a random name that holds no user text; the uploaded name survives
only as a cleaned display name. Each file's SHA-256 is recorded. The file is
written to a temporary name and renamed into place only once it has passed
every check, so a refused or failed upload leaves nothing behind; a file whose
database row was rolled back is removed by ``sweep_orphans``.

Services flush; the caller commits once.
"""

from __future__ import annotations

import enum
import hashlib
import os
import re
import stat
import unicodedata
import urllib.parse
import uuid
import xml.etree.ElementTree as ElementTree
import zipfile
import zlib
from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from pathlib import PurePosixPath
from typing import IO

from flask import current_app
from sqlalchemy import ForeignKey
from sqlalchemy import Integer
from sqlalchemy import String
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy.orm import Mapped
from sqlalchemy.orm import mapped_column
from sqlalchemy.orm import relationship

from portal.errors import PortalError
from portal.extensions import Base
from portal.extensions import db
from portal.models import Partnership
from portal.models import User
from portal.models import UTCDateTime
from portal.models import enum_column
from portal.models import utcnow

#: Default largest upload; ``UPLOAD_MAX_BYTES`` overrides it.
MAX_BYTES = 10 * 1024 * 1024
#: Default storage allowance per partnership; ``UPLOAD_PARTNERSHIP_QUOTA_BYTES``.
PARTNERSHIP_QUOTA_BYTES = 500 * 1024 * 1024
#: Zip limits, read from the central directory before inflating (ASVS 5.2.3).
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_TOTAL_BYTES = 50 * 1024 * 1024
ZIP_MAX_RATIO = 100
#: Entries smaller than this may compress well (repetitive XML) without suspicion.
ZIP_RATIO_FLOOR_BYTES = 1024 * 1024
#: Largest XML part that is parsed ([Content_Types].xml, relationships).
XML_PART_MAX_BYTES = 2 * 1024 * 1024
#: Longest display name kept.
MAX_DISPLAY_NAME = 150
#: How much of each compressed PDF object stream is inflated for the content check.
PDF_STREAM_SCAN_BYTES = 4 * 1024 * 1024
PDF_TOTAL_SCAN_BYTES = 64 * 1024 * 1024

ALLOWED_TYPES_TEXT = "a PDF, a Word document (.docx) or an OpenDocument text (.odt)"
DOCX_MAIN_TYPE = (
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
)
ODT_MIMETYPE = b"application/vnd.oasis.opendocument.text"
#: PDF names that run code, open other programs or carry other files.
PDF_ACTIVE_NAMES = frozenset(
    {
        b"JavaScript",
        b"JS",
        b"Launch",
        b"EmbeddedFile",
        b"EmbeddedFiles",
        b"RichMedia",
        b"XFA",
        b"AA",
        b"SubmitForm",
        b"ImportData",
    }
)
_WINDOWS_RESERVED = frozenset(
    {"CON", "PRN", "AUX", "NUL"}
    | {f"COM{n}" for n in range(1, 10)}
    | {f"LPT{n}" for n in range(1, 10)}
)
_PDF_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /\[\]<>(){}%]+)")
_PDF_HEX = re.compile(rb"#([0-9A-Fa-f]{2})")
_DTD = re.compile(rb"<!(?:DOCTYPE|ENTITY)", re.IGNORECASE)
_CHUNK = 64 * 1024
#: Names this module writes: stored files and partial writes.
_OURS = re.compile(r"(?:\.partial-)?[0-9a-f]{32}")


class DocumentKind(enum.StrEnum):
    """The document types the portal accepts, as determined from the content."""

    PDF = "pdf"
    DOCX = "docx"
    ODT = "odt"

    @property
    def content_type(self) -> str:
        """The MIME type sent on download (never the uploader's)."""
        return {
            "pdf": "application/pdf",
            "docx": "application/vnd.openxmlformats-officedocument."
            "wordprocessingml.document",
            "odt": "application/vnd.oasis.opendocument.text",
        }[self.value]

    @property
    def label(self) -> str:
        """The name people read."""
        return {
            "pdf": "PDF",
            "docx": "Word document",
            "odt": "OpenDocument text",
        }[self.value]


class UploadError(PortalError):
    """A file the portal refuses; the message says why and what is accepted."""

    status = 422


class UploadTooLargeError(UploadError):
    """The file is over the size limit."""

    status = 413


class StorageUnavailableError(UploadError):
    """The file could not be written (disk full, permissions); nothing was saved."""

    status = 503


class StoredFile(Base):
    """An uploaded document: where it is stored, what it is, and its checksum."""

    __tablename__ = "stored_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    #: Whose file it is: every download checks access to this partnership.
    partnership_id: Mapped[int] = mapped_column(
        ForeignKey("partnership.id"), index=True
    )
    #: A random hex name under the upload folder; never derived from user input.
    storage_name: Mapped[str] = mapped_column(String(32), unique=True)
    #: The uploaded name, cleaned, with the extension of the real type.
    display_name: Mapped[str] = mapped_column(String(MAX_DISPLAY_NAME))
    kind: Mapped[DocumentKind] = mapped_column(enum_column(DocumentKind))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    uploaded_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("user_account.id", ondelete="SET NULL")
    )
    partnership: Mapped[Partnership] = relationship()
    uploaded_by: Mapped[User | None] = relationship()

    @property
    def content_type(self) -> str:
        """The MIME type of the stored content."""
        return self.kind.content_type

    @property
    def size_text(self) -> str:
        """The size as people read it: 12 KB, 1.4 MB."""
        if self.size_bytes < 1024 * 1024:
            return f"{max(1, round(self.size_bytes / 1024))} KB"
        return f"{self.size_bytes / (1024 * 1024):.1f} MB"


# Configuration -------------------------------------------------------------------


def upload_root() -> Path:
    """The folder uploads are stored in (``UPLOAD_FOLDER``, relative to ``instance/``)."""
    folder = str(current_app.config.get("UPLOAD_FOLDER") or "uploads")
    return (Path(current_app.instance_path) / folder).resolve()


def max_upload_bytes() -> int:
    """The largest file accepted (``UPLOAD_MAX_BYTES``, default 10 MB)."""
    return int(current_app.config.get("UPLOAD_MAX_BYTES") or MAX_BYTES)


def _size_text(size: int) -> str:
    return f"{size / (1024 * 1024):g} MB"


# Names ---------------------------------------------------------------------------


def clean_display_name(filename: str, kind: DocumentKind) -> str:
    """A name safe to show and to offer on download, ending in ``kind``'s extension.

    Path components, control, format (including bidi overrides) and unassigned
    characters are removed; compatibility characters are normalised (``ﬁ`` →
    ``fi``); the extension always matches the content, so ``invoice.exe`` that
    is really a PDF becomes ``invoice.exe.pdf``.
    """
    name = unicodedata.normalize("NFKC", filename or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(
        ch for ch in name if unicodedata.category(ch)[0] not in "CZ" or ch == " "
    )
    name = " ".join(name.split())
    stem, dot, extension = name.rpartition(".")
    if not dot or extension.casefold() != kind.value:
        stem = name
    stem = stem.strip(" .") or "document"
    if stem.split(".")[0].upper() in _WINDOWS_RESERVED:
        stem = f"_{stem}"
    stem = stem[: MAX_DISPLAY_NAME - len(kind.value) - 1].rstrip(" .")
    return f"{stem}.{kind.value}"


def content_disposition(display_name: str) -> str:
    """An ``attachment`` header with an ASCII fallback and the UTF-8 name (RFC 6266)."""
    fallback = (
        unicodedata.normalize("NFKD", display_name).encode("ascii", "ignore").decode()
    )
    fallback = re.sub(r"[^A-Za-z0-9 ._()-]", "_", fallback).strip() or "document"
    encoded = urllib.parse.quote(display_name, safe="")
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}"


def download_headers(stored: StoredFile) -> dict[str, str]:
    """Headers for a download that a browser can never run in the portal's origin (T44)."""
    return {
        "Content-Type": stored.content_type,
        "Content-Disposition": content_disposition(stored.display_name),
        "Content-Length": str(stored.size_bytes),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "sandbox; default-src 'none'",
        "Cache-Control": "private, no-store",
        "Cross-Origin-Resource-Policy": "same-origin",
    }


def path_of(stored: StoredFile) -> Path:
    """The stored file's path, checked to lie inside the upload folder."""
    root = upload_root()
    path = (root / stored.storage_name).resolve()
    if path.parent != root or not re.fullmatch(r"[0-9a-f]{32}", stored.storage_name):
        raise UploadError("The document's storage name is not valid")
    return path


# Content checks --------------------------------------------------------------------


def detect_kind(path: Path) -> DocumentKind:
    """What the file at ``path`` really is, after the structural checks for its type.

    :raise UploadError: if it is not an acceptable PDF, DOCX or ODT.
    """
    with path.open("rb") as handle:
        head = handle.read(8)
    if not head:
        raise UploadError("The selected file is empty")
    if head.startswith(b"%PDF-"):
        _check_pdf(path)
        return DocumentKind.PDF
    if head.startswith(b"PK\x03\x04"):
        return _check_zip_document(path)
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise UploadError(
            "Older Word (.doc) files are not accepted: save the document as a PDF "
            "or a .docx file and upload that"
        )
    raise UploadError(f"The file must be {ALLOWED_TYPES_TEXT}")


def _pdf_names(data: bytes) -> Iterator[bytes]:
    for match in _PDF_NAME.finditer(data):
        yield _PDF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))


def _inflate(data: bytes, limit: int) -> bytes:
    try:
        return zlib.decompressobj().decompress(data, limit)
    except zlib.error:
        return b""


def _object_streams(data: bytes) -> Iterator[bytes]:
    """The compressed object streams of a PDF, where dictionaries can hide."""
    for match in re.finditer(rb"stream\r?\n", data):
        header = data[max(0, match.start() - 1024) : match.start()]
        header = header[header.rfind(b"obj") :]
        if b"/ObjStm" not in header or b"/FlateDecode" not in header:
            continue
        end = data.find(b"endstream", match.end())
        if end != -1:
            yield data[match.end() : end]


def _check_pdf(path: Path) -> None:
    data = path.read_bytes()
    if not re.match(rb"%PDF-\d\.\d", data):
        raise UploadError(f"The file must be {ALLOWED_TYPES_TEXT}")
    if b"%%EOF" not in data[-2048:]:
        raise UploadError("The PDF is damaged or incomplete: save it again and retry")
    parts = [data]
    budget = PDF_TOTAL_SCAN_BYTES
    for compressed in _object_streams(data):
        inflated = _inflate(compressed, min(PDF_STREAM_SCAN_BYTES, budget))
        budget -= len(inflated)
        parts.append(inflated)
        if budget <= 0:
            break
    for part in parts:
        for name in _pdf_names(part):
            if name == b"Encrypt":
                raise UploadError(
                    "Password-protected PDFs cannot be checked: upload a copy "
                    "without a password"
                )
            if name in PDF_ACTIVE_NAMES:
                raise UploadError(
                    "The PDF contains scripts, attachments or actions, which are "
                    "not accepted: print it to a new PDF and upload that"
                )


def _check_entries(archive: zipfile.ZipFile, archive_size: int) -> None:
    """Refuse zip bombs and dangerous names from the central directory alone."""
    infos = archive.infolist()
    if len(infos) > ZIP_MAX_ENTRIES:
        raise UploadError(
            f"The document has too many parts (more than {ZIP_MAX_ENTRIES})"
        )
    seen: set[str] = set()
    total = 0
    for info in infos:
        name = info.filename
        parts = PurePosixPath(name).parts
        if (
            name in seen
            or name.startswith("/")
            or "\\" in name
            or ".." in parts
            or (parts and ":" in parts[0])
            or "\x00" in name
        ):
            raise UploadError("The document contains a part with an unsafe name")
        seen.add(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            raise UploadError("The document contains a link to another file")
        if info.flag_bits & 0x1:
            raise UploadError(
                "Password-protected documents cannot be checked: upload a copy "
                "without a password"
            )
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise UploadError("The document is compressed in an unsupported way")
        if info.compress_type == zipfile.ZIP_STORED and (
            info.compress_size != info.file_size
        ):
            raise UploadError("The document is damaged")
        if (
            info.file_size > ZIP_RATIO_FLOOR_BYTES
            and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1)
        ):
            raise _bomb()
        total += info.file_size
        if total > ZIP_MAX_TOTAL_BYTES:
            raise _bomb()
    if total > ZIP_RATIO_FLOOR_BYTES and total > ZIP_MAX_RATIO * max(archive_size, 1):
        raise _bomb()


def _bomb() -> UploadError:
    return UploadError(
        "The document unpacks to far more than its size (it may be a zip bomb) "
        f"and was refused; documents may unpack to at most "
        f"{_size_text(ZIP_MAX_TOTAL_BYTES)}"
    )


def _has_dtd(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True if an XML part declares a DTD (the route to XXE and entity bombs)."""
    tail = b""
    with archive.open(info) as handle:
        while chunk := handle.read(_CHUNK):
            if _DTD.search(tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _read_xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    info = archive.getinfo(name)
    if info.file_size > XML_PART_MAX_BYTES:
        raise UploadError("The document's structure is too large to check")
    with archive.open(info) as handle:
        data = handle.read(XML_PART_MAX_BYTES + 1)
    try:
        # Safe: every XML part was checked to declare no DTD, so there are no
        # entities to expand and nothing external to fetch.
        return ElementTree.fromstring(data)  # noqa: S314
    except ElementTree.ParseError as error:
        raise UploadError("The document is damaged") from error


def _check_zip_document(path: Path) -> DocumentKind:
    try:
        with zipfile.ZipFile(path) as archive:
            _check_entries(archive, path.stat().st_size)
            for info in archive.infolist():
                lower = info.filename.lower()
                if lower.endswith((".xml", ".rels")) and _has_dtd(archive, info):
                    raise UploadError(
                        "The document contains a document type declaration, "
                        "which is not accepted"
                    )
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                _check_docx(archive, names)
                return DocumentKind.DOCX
            first = archive.infolist()[0] if names else None
            if first is not None and first.filename == "mimetype":
                _check_odt(archive, first, names)
                return DocumentKind.ODT
    except zipfile.BadZipFile as error:
        raise UploadError(f"The file must be {ALLOWED_TYPES_TEXT}") from error
    except (
        zipfile.LargeZipFile,
        NotImplementedError,
        RuntimeError,
        EOFError,
        zlib.error,
    ) as error:
        raise UploadError("The document could not be checked") from error
    raise UploadError(f"The file must be {ALLOWED_TYPES_TEXT}")


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _check_docx(archive: zipfile.ZipFile, names: set[str]) -> None:
    if "word/document.xml" not in names:
        raise UploadError(f"The file must be {ALLOWED_TYPES_TEXT}")
    if any(name.lower().endswith("vbaproject.bin") for name in names) or any(
        name.lower().startswith("word/activex/") for name in names
    ):
        raise _macros()
    types = _read_xml(archive, "[Content_Types].xml")
    main_type = None
    for element in types:
        content_type = element.get("ContentType", "")
        lowered = content_type.lower()
        if "macroenabled" in lowered or "vba" in lowered or "activex" in lowered:
            raise _macros()
        if (
            _local(element.tag) == "Override"
            and element.get("PartName") == "/word/document.xml"
        ):
            main_type = content_type
    if main_type != DOCX_MAIN_TYPE:
        raise UploadError(
            "Only Word documents (.docx) are accepted, not templates or "
            "macro-enabled documents"
        )
    for name in names:
        if not name.endswith(".rels"):
            continue
        for link in _read_xml(archive, name):
            external = link.get("TargetMode", "").lower() == "external"
            hyperlink = link.get("Type", "").endswith("/hyperlink")
            if external and not hyperlink:
                raise UploadError(
                    "The document loads content from outside itself (such as a "
                    "remote template), which is not accepted"
                )


def _check_odt(
    archive: zipfile.ZipFile, first: zipfile.ZipInfo, names: set[str]
) -> None:
    if first.compress_type != zipfile.ZIP_STORED or first.file_size > 100:
        raise UploadError(f"The file must be {ALLOWED_TYPES_TEXT}")
    if archive.read(first) != ODT_MIMETYPE:
        raise UploadError(f"The file must be {ALLOWED_TYPES_TEXT}")
    if "content.xml" not in names or "META-INF/manifest.xml" not in names:
        raise UploadError("The document is damaged")
    if any(name.startswith(("Basic/", "Scripts/")) for name in names):
        raise _macros()


def _macros() -> UploadError:
    return UploadError(
        "Documents with macros or embedded controls are not accepted: save it as "
        "a plain .docx or PDF and upload that"
    )


# Storing ------------------------------------------------------------------------


def partnership_usage(partnership: Partnership) -> int:
    """Bytes stored for the partnership."""
    return int(
        db.session.scalar(
            select(func.coalesce(func.sum(StoredFile.size_bytes), 0)).where(
                StoredFile.partnership_id == partnership.id
            )
        )
        or 0
    )


def store(
    stream: IO[bytes],
    filename: str,
    *,
    partnership: Partnership,
    by: User | None = None,
) -> StoredFile:
    """Check and store an uploaded document for ``partnership``.

    Reads at most the size limit plus one byte, checks the content, then renames
    the file into place and adds its row (flushed, not committed).

    :raise UploadTooLargeError: over ``UPLOAD_MAX_BYTES``.
    :raise UploadError: empty, of a type not accepted, unsafe, or over the quota.
    :raise StorageUnavailableError: the disk refused the write; nothing was kept.
    """
    limit = max_upload_bytes()
    root = upload_root()
    storage_name = uuid.uuid4().hex
    partial = root / f".partial-{storage_name}"
    final = root / storage_name
    digest = hashlib.sha256()
    size = 0
    placed = False
    try:
        root.mkdir(parents=True, exist_ok=True)
        with partial.open("xb") as out:
            while chunk := stream.read(_CHUNK):
                size += len(chunk)
                if size > limit:
                    raise UploadTooLargeError(
                        f"The file must be smaller than {_size_text(limit)}"
                    )
                digest.update(chunk)
                out.write(chunk)
        if size == 0:
            raise UploadError("The selected file is empty")
        quota = int(
            current_app.config.get("UPLOAD_PARTNERSHIP_QUOTA_BYTES")
            or PARTNERSHIP_QUOTA_BYTES
        )
        if partnership_usage(partnership) + size > quota:
            raise UploadError(
                f"{partnership.name} has used its document storage allowance "
                f"({_size_text(quota)}); ask an administrator for more"
            )
        kind = detect_kind(partial)
        os.replace(partial, final)
        placed = True
    except OSError as error:
        raise StorageUnavailableError(
            "The file could not be saved because of a problem with storage. "
            "Nothing was saved: try again later."
        ) from error
    finally:
        if not placed:
            partial.unlink(missing_ok=True)
    stored = StoredFile(
        partnership=partnership,
        storage_name=storage_name,
        display_name=clean_display_name(filename, kind),
        kind=kind,
        size_bytes=size,
        sha256=digest.hexdigest(),
        uploaded_by=by,
    )
    db.session.add(stored)
    try:
        db.session.flush()
    except Exception:
        final.unlink(missing_ok=True)
        raise
    return stored


def read_bytes(stored: StoredFile) -> bytes:
    """The stored content, checked against its recorded SHA-256."""
    data = path_of(stored).read_bytes()
    if hashlib.sha256(data).hexdigest() != stored.sha256:
        raise UploadError("The stored document does not match its checksum")
    return data


# Housekeeping -----------------------------------------------------------------------


def missing_files() -> list[StoredFile]:
    """Rows whose file is not in the upload folder (should always be empty)."""
    return [
        stored
        for stored in db.session.scalars(select(StoredFile).order_by(StoredFile.id))
        if not path_of(stored).is_file()
    ]


def sweep_orphans(
    *, older_than: timedelta = timedelta(hours=24), now: datetime | None = None
) -> list[str]:
    """Remove stored files (and stale partial writes) that no row refers to.

    Only files older than ``older_than`` go, so an upload whose transaction has
    not committed yet is never touched. Returns the names removed.
    """
    root = upload_root()
    if not root.is_dir():
        return []
    cutoff = (now or utcnow()).timestamp() - older_than.total_seconds()
    known = set(db.session.scalars(select(StoredFile.storage_name)))
    removed = []
    for path in sorted(root.iterdir()):
        if not _OURS.fullmatch(path.name) or path.name in known or not path.is_file():
            continue
        if path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed.append(path.name)
    return removed
