"""Scales and the one answer validator every write path uses.

Autosave, page submit, final submit and CSV import all call ``normalise_answer``,
so no path can store a value another path would refuse.
"""

from __future__ import annotations

from decimal import Decimal
from decimal import InvalidOperation

from surveys.models import Item
from surveys.models import ItemType

DONT_KNOW = "DK"
DONT_KNOW_LABEL = "Don't know"
MAX_TEXT_LENGTH = 5000

SCALES: dict[str, tuple[str, str, str, str, str]] = {
    "agree5": (
        "Strongly agree",
        "Agree",
        "Neither agree nor disagree",
        "Disagree",
        "Strongly disagree",
    ),
    "increase5": (
        "Increased a lot",
        "Increased a little",
        "Stayed the same",
        "Decreased a little",
        "Decreased a lot",
    ),
    "effective5": (
        "A lot more effective",
        "A little more effective",
        "About the same",
        "A little less effective",
        "A lot less effective",
    ),
}


class AnswerError(ValueError):
    """An answer the item cannot take; the message says why, for the respondent."""


def choices(item: Item) -> list[tuple[str, str]]:
    """(stored value, label) pairs for a likert, single or multi item."""
    if item.type is ItemType.LIKERT:
        labels = SCALES[item.scale]
        return [(str(position), label) for position, label in enumerate(labels, 1)] + [
            (DONT_KNOW, DONT_KNOW_LABEL)
        ]
    return [(label, label) for label in item.option_labels]


def label_for(item: Item, value: str) -> str:
    """How a stored value reads: the scale label for a likert position."""
    if item.type is ItemType.LIKERT:
        return dict(choices(item)).get(value, value)
    return value


def _option(item: Item, text: str) -> str:
    wanted = text.strip().casefold()
    for label in item.option_labels:
        if label.casefold() == wanted:
            return label
    raise AnswerError(f"“{text.strip()}” is not one of the choices")


def normalise_answer(item: Item, raw: str | list[str]) -> str:
    """The stored form of an answer, or "" for no answer; AnswerError if invalid.

    Accepts likert positions 1-5 or labels (any case), "Don't know", choice labels,
    several multi labels as a list or joined by "|", text and numbers.
    """
    if isinstance(raw, list):
        parts = [part for part in raw if part.strip()]
        if item.type is not ItemType.MULTI and len(parts) > 1:
            raise AnswerError("Choose one answer")
        raw = "|".join(parts)
    text = raw.strip()
    if not text:
        return ""
    if item.type is ItemType.LIKERT:
        if text.upper() == DONT_KNOW or text.casefold() == DONT_KNOW_LABEL.casefold():
            return DONT_KNOW
        labels = SCALES[item.scale]
        if text in {"1", "2", "3", "4", "5"}:
            return text
        for position, label in enumerate(labels, 1):
            if label.casefold() == text.casefold():
                return str(position)
        raise AnswerError(f"“{text}” is not a point on the {item.scale} scale")
    if item.type is ItemType.SINGLE:
        return _option(item, text)
    if item.type is ItemType.MULTI:
        chosen = [_option(item, part) for part in text.split("|") if part.strip()]
        # Keep the questionnaire's order and drop repeats.
        return "|".join(label for label in item.option_labels if label in chosen)
    if item.type is ItemType.NUMBER:
        try:
            number = Decimal(text)
        except InvalidOperation:
            raise AnswerError("Enter a number, like 12 or 3.5") from None
        if not number.is_finite() or abs(number) >= Decimal("1e12"):
            raise AnswerError("Enter a number, like 12 or 3.5")
        return text
    if len(text) > MAX_TEXT_LENGTH:
        raise AnswerError(f"Answer must be {MAX_TEXT_LENGTH} characters or fewer")
    return text
