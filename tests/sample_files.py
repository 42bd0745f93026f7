"""Files the tests upload or import: a well-formed PDF, a DOCX zip bomb (and the
parts a DOCX is built from), and an action plan as CSV."""

import io
import zipfile

from governance import plan_csv
from governance import uploads

MB = 1024 * 1024
CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/word/document.xml" ContentType="{main}"/>'
    "</Types>"
)
HEADER = ",".join(plan_csv.PLAN_COLUMNS)
PLAN = (
    HEADER + "\n"
    "P1,Introduce Values versus Violence in schools,Prevention,Prevention Group,"
    "X Lead Org,xena@example.org,2015-10-01,2016-03-31,completed,green,100,"
    "Rolled out to every secondary school.\n"
    'P2,"Scope PSHE provision, county-wide",Prevention,Prevention Group,'
    "X Partner Org,,2016-04-01,2018-03-31,in progress,amber,60,\n"
    "D1,Multi-agency triage for young people,Diversion,Diversion Group,,"
    "coord-x@example.org,,2017-03-31,not started,,0,\n"
    "D2,'=SUM(1) is not a formula,Diversion,,X Lead Org,,2016-01-01,2019-03-31,"
    'carried forward,red,40,"Funding delayed.\nCarried into 2018/19."\n'
    "O1,Housing support service,Offender Management,,,,,2017-06-30,"
    "discontinued,,10,\n"
)


def make_pdf(body: bytes = b"") -> bytes:
    """A small, well-formed PDF (one blank page)."""
    return (
        b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n"
        b"2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n"
        b"3 0 obj << /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >> endobj\n"
        + body
        + b"\ntrailer << /Root 1 0 R >>\n%%EOF\n"
    )


def _bomb_docx(size: int) -> bytes:
    """A DOCX whose document.xml inflates to ``size`` bytes of zeros."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as z:
        z.writestr(
            "[Content_Types].xml", CONTENT_TYPES.format(main=uploads.DOCX_MAIN_TYPE)
        )
        with z.open("word/document.xml", "w", force_zip64=True) as member:
            chunk = b"\x00" * MB
            for _ in range(size // MB):
                member.write(chunk)
    return buffer.getvalue()
