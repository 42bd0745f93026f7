"""A summary as a PDF: the page's content with selectable text, charts as images.

fpdf2 is pure Python and installs with pip alone. Text is set in DejaVu Sans,
which matplotlib ships, embedded as a subset with its Unicode map, so the text
can be selected, searched and read aloud; every chart carries its text
alternative and is followed by its numbers. Each figure links to the page it
comes from. Pages are numbered "Page 2 of 4" in the footer.

The content is the summary's figures and text as the page shows them: frozen
ones for a published summary (charts from the stored PNGs), live ones for a draft.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.enums import XPos
from fpdf.enums import YPos
from fpdf.fonts import FontFace

from governance.models import Rag
from governance.summary import BoardSummary
from governance.summary import completion_headline
from governance.summary import day_text
from governance.summary import paragraphs
from governance.summary import rate_text

FONT = "DejaVu"
_FONTS = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
TEXT = (11, 12, 12)
MUTED = (80, 90, 95)
LINK = (29, 79, 145)
WIDTH = 180  # A4 less 15 mm margins

Link = Callable[[Mapping[str, Any]], str]


class _Document(FPDF):
    """A4 pages with the portal's footer: the partnership and "Page n of N"."""

    def __init__(self, footer_text: str) -> None:
        super().__init__(format="A4")
        self.footer_text = footer_text

    def footer(self) -> None:
        """The partnership and the page number on every page."""
        self.set_y(-14)
        self.set_font(FONT, size=8)
        self.set_text_color(*MUTED)
        self.cell(WIDTH / 2, 6, self.footer_text, new_x=XPos.RIGHT, new_y=YPos.TOP)
        self.cell(
            WIDTH / 2,
            6,
            f"Page {self.page_no()} of {{nb}}",
            align="R",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )


def _date(value: str) -> str:
    return day_text(date.fromisoformat(value))


class _Writer:
    """Writes the sections of a summary into a document."""

    def __init__(self, pdf: _Document, link: Link) -> None:
        self.pdf = pdf
        self.link = link

    def heading(self, text: str, size: int = 14, *, new_page: bool = False) -> None:
        pdf = self.pdf
        if new_page or pdf.will_page_break(40):
            pdf.add_page()
        else:
            pdf.ln(3)
        pdf.start_section(text, level=0 if size >= 14 else 1)
        pdf.set_font(FONT, "B", size)
        pdf.set_text_color(*TEXT)
        pdf.multi_cell(
            WIDTH, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(1.5)

    def para(self, text: str, *, size: int = 11, muted: bool = False) -> None:
        pdf = self.pdf
        pdf.set_font(FONT, size=size)
        pdf.set_text_color(*(MUTED if muted else TEXT))
        pdf.multi_cell(
            WIDTH, size * 0.5, text, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
        )
        pdf.ln(1.5)

    def figure(self, text: str, source: Mapping[str, Any] | None) -> None:
        """A headline figure in bold, linked to its source page."""
        pdf = self.pdf
        pdf.set_font(FONT, "B", 12)
        pdf.set_text_color(*TEXT)
        pdf.multi_cell(
            WIDTH,
            6,
            text,
            align="L",
            link=self.link(source) if source else None,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(1)

    def source(self, source: Mapping[str, Any] | None, label: str = "Source") -> None:
        if not source:
            return
        url = self.link(source)
        pdf = self.pdf
        pdf.set_font(FONT, size=8)
        pdf.set_text_color(*LINK)
        pdf.multi_cell(
            WIDTH,
            4,
            f"{label}: {url}",
            align="L",
            link=url,
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.ln(1.5)

    def table(
        self,
        headings: Sequence[str],
        rows: Sequence[Sequence[str]],
        widths: Sequence[int],
        links: Sequence[str | None] | None = None,
        caption: str = "",
    ) -> None:
        pdf = self.pdf
        if caption:
            self.para(caption, size=9, muted=True)
        pdf.set_font(FONT, size=9)
        pdf.set_text_color(*TEXT)
        aligns = ["LEFT"] + ["RIGHT" if _numeric(h) else "LEFT" for h in headings[1:]]
        with pdf.table(
            col_widths=tuple(widths),
            width=WIDTH,
            text_align=tuple(aligns),
            headings_style=FontFace(emphasis="BOLD"),
            line_height=5,
            padding=1,
        ) as table:
            header = table.row()
            for heading in headings:
                header.cell(heading)
            for index, values in enumerate(rows):
                row = table.row()
                for column, value in enumerate(values):
                    target = links[index] if links and column == 0 else None
                    row.cell(value, link=target or None)
        pdf.ln(3)

    def chart(self, title: str, description: str, png: bytes) -> None:
        pdf = self.pdf
        if pdf.will_page_break(95):
            pdf.add_page()
        pdf.image(io.BytesIO(png), w=WIDTH * 0.85, title=title, alt_text=description)
        self.para(f"Chart: {description}", size=8, muted=True)


_NUMERIC = {
    "Due",
    "Completed",
    "In progress",
    "Not started",
    "Carried forward",
    "Overdue",
    "Completion rate",
    "Achieved",
    "Value",
    "Target",
    "Base",
    "Before",
    "Now",
    "Change",
}


def _numeric(heading: str) -> bool:
    return heading in _NUMERIC or heading.endswith("%")


def _pct(value: float | None, places: int = 1) -> str:
    return "—" if value is None else f"{value:.{places}f}%"


def _completion_rows(rows: Sequence[Mapping[str, Any]]) -> list[list[str]]:
    return [
        [
            row["group"],
            str(row["scheduled"]),
            str(row["completed"]),
            str(row["in_progress"]),
            str(row["not_started"]),
            str(row["carried_forward"]),
            str(row["overdue"]),
            _pct(row["completion_pct"]),
        ]
        for row in rows
    ]


COMPLETION_HEADINGS = (
    "",
    "Due",
    "Completed",
    "In progress",
    "Not started",
    "Carried forward",
    "Overdue",
    "Completion rate",
)


def _plan(w: _Writer, figures: Mapping[str, Any], images: Mapping[str, Any]) -> None:
    plan = figures["plan"]
    as_of = _date(figures["as_of"])
    w.heading("Action plan")
    if plan is None:
        w.para(f"No action plan of the partnership covers {as_of}.")
        return
    w.para(plan["strategy"]["title"], muted=True)
    overall = plan["overall"]
    w.figure(completion_headline(figures), plan["sources"]["overall"])
    if overall["scheduled"]:
        w.para(
            f"Overdue on {as_of}: {overall['overdue']}. Carried forward from an "
            f"earlier period and due by then: {overall['carried_forward']}. In "
            f"progress: {overall['in_progress']}; not started: "
            f"{overall['not_started']}. Discontinued actions are not counted."
        )
    w.source(plan["sources"]["overall"])
    indicators = plan["indicators"]
    if indicators:
        w.heading("Outcome indicators against target", 12)
        rows, links = [], []
        for indicator in indicators:
            value = indicator["value"]
            target = f"{indicator['target_pct']:g}%"
            if value is None:
                rows.append([indicator["name"], "No value yet", "", "", target, ""])
            else:
                rows.append(
                    [
                        indicator["name"],
                        value["period_label"],
                        f"{value['numerator']} of {value['denominator']}",
                        f"{value['pct']:.1f}%",
                        target,
                        Rag(value["rag"]).label,
                    ]
                )
            links.append(w.link(indicator["source"]))
        w.table(
            ("Indicator", "Period", "Achieved", "Value", "Target", "RAG"),
            rows,
            (62, 26, 26, 20, 20, 26),
            links,
        )
        w.para(
            "Key: Green = on or beyond the target. Amber = short of the target by "
            "no more than the indicator's amber margin. Red = short of the target "
            "by more than the margin.",
            size=9,
            muted=True,
        )
    w.heading("Completion by theme and delivery group", 12)
    if "themes" in images:
        w.chart(*images["themes"])
    widths = (50, 12, 21, 18, 18, 20, 19, 22)
    if plan["by_theme"]:
        w.table(
            ("Theme", *COMPLETION_HEADINGS[1:]),
            _completion_rows(plan["by_theme"]),
            widths,
            caption=f"Actions due by {as_of}, by theme",
        )
    if plan["by_group"]:
        w.table(
            ("Delivery group", *COMPLETION_HEADINGS[1:]),
            _completion_rows(plan["by_group"]),
            widths,
            caption=f"Actions due by {as_of}, by delivery group",
        )
    w.source(plan["sources"]["by_theme"])


def _survey(w: _Writer, figures: Mapping[str, Any], images: Mapping[str, Any]) -> None:
    survey = figures["survey"]
    w.heading("Latest survey wave")
    if survey is None:
        w.para(
            "No survey wave of the partnership had closed with responses by "
            f"{_date(figures['reference'])}."
        )
        return
    wave = survey["wave"]
    w.para(
        f"{survey['survey']['title']}, wave {wave['number']} "
        f"({_date(wave['opens_on'])} to {_date(wave['closes_on'])})",
        muted=True,
    )
    w.figure(f"Wave {wave['number']}: {rate_text(wave)}", survey["source"])
    previous = survey["previous"]
    if previous is not None:
        w.para(f"Wave {previous['number']}: {rate_text(previous)}.")
        if survey["changes"]:
            rows = [
                [
                    change["text"],
                    change["flag"].capitalize(),
                    _pct(change["prev_pct"], 0),
                    _pct(change["pct"], 0),
                    f"{change['change_pp']:+.0f} pp".replace("-", "\u2212"),
                ]
                for change in survey["changes"]
            ]
            w.table(
                ("Question", "Reliable change", "Before", "Now", "Change"),
                rows,
                (92, 30, 18, 18, 22),
                [w.link(c["source"]) for c in survey["changes"]],
                caption=(
                    f"Questions that changed reliably since wave {previous['number']} "
                    f"(share answering {survey['share_headings'][0].lower()})"
                ),
            )
        else:
            w.para(f"No question changed reliably since wave {previous['number']}.")
    if "survey" in images:
        w.chart(*images["survey"])
    headings = survey["share_headings"]
    rows = [
        [
            entry["text"],
            str(entry["base"]) if entry["counts"] else "",
            _pct(entry["pct_positive"], 0) if entry["counts"] else "too few",
            _pct(entry["pct_neutral"], 0) if entry["counts"] else "",
            _pct(entry["pct_negative"], 0) if entry["counts"] else "",
        ]
        for entry in survey["headline"]
    ]
    w.table(
        ("Question", "Base", *headings),
        rows,
        (96, 14, 24, 22, 24),
        [w.link(e["source"]) for e in survey["headline"]],
        caption=(
            f"The numbers in the chart: wave {wave['number']}, Don't know and blank "
            "answers left out"
        ),
    )
    for code, warning in survey["warnings"].items():
        w.para(f"Note on {code}: {warning}.", size=9, muted=True)
    w.source(survey["source"])


def _governance(w: _Writer, figures: Mapping[str, Any]) -> None:
    governance = figures["governance"]
    since, until = _date(figures["since"]), _date(figures["until"])
    w.heading("Since the last meeting")
    w.heading(f"Decisions at meetings held from {since} to {until}", 12)
    if governance["decisions"]:
        rows = [
            [
                f"{_date(d['meeting']['held_on'])} ({d['meeting']['body']})",
                f"{d['number']}. {d['text']}",
                d["minutes_status"],
            ]
            for d in governance["decisions"]
        ]
        w.table(
            ("Meeting", "Decision", "Minutes"),
            rows,
            (40, 110, 30),
            [w.link(d["source"]) for d in governance["decisions"]],
        )
    else:
        w.para("No decisions were recorded.")
    w.heading("Actions arising and their status", 12)
    if governance["actions"]:
        rows = [
            [
                f"{a['ref']} {a['title']}",
                a["owner"],
                _date(a["due_date"]),
                a["status_label"] + (" (overdue)" if a["overdue"] else ""),
                _date(a["meeting"]["held_on"]),
            ]
            for a in governance["actions"]
        ]
        w.table(
            ("Action", "Owner", "Due", "Status", "Arose at"),
            rows,
            (70, 34, 26, 26, 24),
            [w.link(a["source"]) for a in governance["actions"]],
            caption=f"Status on {_date(figures['reference'])}",
        )
    else:
        w.para("There were no actions arising to follow up.")
    w.heading("Memoranda due for review or not fully signed", 12)
    if governance["memoranda"]:
        rows = []
        for memo in governance["memoranda"]:
            review = (
                "past its end date"
                if memo["past_end"]
                else "review overdue"
                if memo["review_overdue"]
                else "review due"
                if memo["review_due"]
                else ""
            )
            if memo["review_on"] and review:
                review += f" ({_date(memo['review_on'])})"
            rows.append(
                [
                    f"{memo['title']} (version {memo['version']})",
                    review,
                    ", ".join(memo["unsigned"]) or "All signed",
                ]
            )
        w.table(
            ("Memorandum", "Review", "Not yet signed by"),
            rows,
            (80, 40, 60),
            [w.link(m["source"]) for m in governance["memoranda"]],
        )
    else:
        w.para("No memorandum is due for review, past its end or missing signatures.")


def render(
    summary: BoardSummary,
    figures: Mapping[str, Any],
    text: str,
    images: Mapping[str, tuple[str, str, bytes]],
    *,
    link: Link,
    page_url: str,
) -> bytes:
    """The summary as PDF bytes; ``images`` are (title, text alternative, PNG) by chart key."""
    partnership = figures["partnership"]["name"]
    pdf = _Document(partnership)
    pdf.add_font(FONT, "", str(_FONTS / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(_FONTS / "DejaVuSans-Bold.ttf"))
    pdf.set_margins(15, 15, 15)
    pdf.set_auto_page_break(True, margin=20)
    pdf.set_title(summary.title)
    pdf.set_author(partnership)
    pdf.set_subject("Board progress summary")
    pdf.set_creator("Partnership Portal")
    pdf.set_lang("en-GB")
    pdf.set_creation_date(summary.published_at or summary.created_at)
    pdf.add_page()
    w = _Writer(pdf, link)
    w.para(partnership, muted=True)
    pdf.set_font(FONT, "B", 18)
    pdf.set_text_color(*TEXT)
    pdf.multi_cell(
        WIDTH, 9, summary.title, align="L", new_x=XPos.LMARGIN, new_y=YPos.NEXT
    )
    pdf.ln(2)
    meeting = figures["meeting"]
    lines = []
    if summary.is_published and summary.published_at is not None:
        lines.append(
            f"Published {day_text(summary.published_at.date())}: frozen as presented."
        )
    else:
        lines.append("Draft: the figures are live until the summary is published.")
    if meeting:
        lines.append(
            f"For the {meeting['body']} meeting on {_date(meeting['held_on'])}."
        )
    lines.append(
        f"Action and indicator figures as at {_date(figures['as_of'])}; meetings "
        f"from {_date(figures['since'])} to {_date(figures['until'])}."
    )
    for line in lines:
        w.para(line, size=10, muted=True)
    pdf.set_font(FONT, size=8)
    pdf.set_text_color(*LINK)
    pdf.multi_cell(
        WIDTH,
        4,
        f"Online: {page_url}",
        align="L",
        link=page_url,
        new_x=XPos.LMARGIN,
        new_y=YPos.NEXT,
    )
    w.heading("Summary")
    for paragraph in paragraphs(text):
        w.para(paragraph)
    _plan(w, figures, images)
    _survey(w, figures, images)
    _governance(w, figures)
    return bytes(pdf.output())
