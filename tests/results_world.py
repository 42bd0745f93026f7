"""The world of a survey's results (``build_results_world``): X's survey with three
past waves, and seed 002's published answers to put in them."""

from datetime import date

from portal.directory import services as directory
from portal.extensions import db
from portal.models import PartnerRole
from portal.models import Sector
from surveys import charts
from surveys import services
from surveys.models import Answer
from surveys.models import ItemType
from surveys.models import Response
from surveys.models import Survey

OTHER_ROLES = "I understand the role of other partners in the PSP"
# Seed 002 (reference/rrcf-partner-survey.md §c): agree / neither / disagree people.
PUBLISHED = {1: (73, 3, 6), 2: (59, 5, 2), 3: (51, 10, 2)}
WAVE_DATES = (
    (date(2014, 1, 6), date(2014, 2, 28)),
    (date(2014, 10, 1), date(2014, 10, 31)),
    (date(2015, 6, 1), date(2015, 6, 30)),
)


def build_results_world(world: dict) -> dict:
    """X's survey: three likert items and a text item in one section, an
    effectiveness item in another; three past waves; no answers yet."""
    x = world["x"]
    council = directory.create_organisation(
        name="X Council", sector=Sector.PUBLIC, partnership=x
    )
    mentors = directory.create_organisation(
        name="X Mentors",
        sector=Sector.SOCIAL_ENTERPRISE,
        partnership=x,
        role=PartnerRole.DELIVERY_PARTNER,
    )
    survey = Survey(slug="x-results", title="X results survey", partnership=x)
    db.session.add(survey)
    together = services.add_section(survey, title="Working together")
    for code, text, scale in (
        ("other_roles", OTHER_ROLES, "agree5"),
        ("vision", "The partnership has a clear vision", "agree5"),
        ("trust", "Trust between partners has", "increase5"),
    ):
        services.add_item(
            together, code=code, text=text, item_type=ItemType.LIKERT, scale=scale
        )
    services.add_item(
        together, code="comments", text="Anything else?", item_type=ItemType.TEXT
    )
    delivery = services.add_section(survey, title="Delivery")
    services.add_item(
        delivery,
        code="delivery",
        text="Compared with before, delivery is",
        item_type=ItemType.LIKERT,
        scale="effective5",
    )
    db.session.flush()
    waves = [
        services.add_wave(survey, opens_on=opens, closes_on=closes)
        for opens, closes in WAVE_DATES
    ]
    db.session.commit()
    charts.cache_clear()
    return {
        **world,
        "survey": survey,
        "waves": waves,
        "together": together,
        "delivery": delivery,
        "council": council,
        "mentors": mentors,
    }


def respond(w, wave_number, organisation=None, **answers):
    """Store one submitted response of X with the given answers (item code=value)."""
    survey = w["survey"]
    wave = w["waves"][wave_number - 1]
    item_ids = {item.code: item.id for item in survey.items}
    db.session.add(
        Response(
            wave_id=wave.id,
            organisation_id=(organisation or w["x_lead"]).id,
            partnership_id=w["x"].id,
            submitted_on=wave.closes_on,
            answers=[
                Answer(item_id=item_ids[code], value=value)
                for code, value in answers.items()
            ],
        )
    )


def add_published_answers(w, waves=(1, 2, 3)):
    """Seed 002's other_roles answers, as agree / neither / disagree people."""
    for wave in waves:
        agree, neither, disagree = PUBLISHED[wave]
        values = (
            ["1"] * (agree // 3)
            + ["2"] * (agree - agree // 3)
            + ["3"] * neither
            + ["4"] * (disagree - 1)
            + ["5"]
        )
        for index, value in enumerate(values):
            organisation = w["x_lead"] if index % 2 else w["x_partner"]
            respond(w, wave, organisation, other_roles=value)
    db.session.commit()
