"""The demo data set: idempotent, it only adds what is missing and never overwrites."""

from dataclasses import dataclass

from sqlalchemy import select

from governance import demo as plan_demo
from governance import record_demo
from governance import summary_demo
from portal import demo_data
from portal.admin.services import create_user
from portal.directory import services
from portal.extensions import db
from portal.models import MemberRole
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Programme
from portal.models import Scope
from portal.models import Sector
from portal.models import User
from surveys import demo as survey_demo

#: Shared by every demo account; shown by ``make run``. Never use demo data in production.
DEMO_PASSWORD = "Mentoring-Works-2026"  # noqa: S105


@dataclass(frozen=True)
class DemoLogin:
    """A demo account and what it can do."""

    email: str
    name: str
    description: str
    partnership: str | None
    role: MemberRole | None
    is_admin: bool = False


DEMO_LOGINS = (
    DemoLogin(
        "admin@portal.example", "Alex Admin", "site administrator", None, None, True
    ),
    DemoLogin(
        "coordinator@portal.example",
        "Casey Coordinator",
        "coordinator of New Routes, Shine and the County partnership",
        "new-routes",
        MemberRole.COORDINATOR,
    ),
    DemoLogin(
        "board@portal.example",
        "Bobbie Board",
        "board member of New Routes and the County partnership",
        "new-routes",
        MemberRole.BOARD_MEMBER,
    ),
    DemoLogin(
        "partner@portal.example",
        "Pat Partner",
        "partner contact in New Routes",
        "new-routes",
        MemberRole.PARTNER_CONTACT,
    ),
    DemoLogin(
        "tayside@portal.example",
        "Taylor Tayside",
        "coordinator of Tayside Council on Alcohol only",
        "tca",
        MemberRole.COORDINATOR,
    ),
)

#: The organisation each demo account's person belongs to.
_DEMO_ORGANISATION = {
    "new-routes": "The Wise Group",
    "tca": "Tayside Council on Alcohol",
}


def load() -> list[DemoLogin]:
    """Create whatever of the demo set is missing; return the demo logins."""
    programme = db.session.scalar(
        select(Programme).where(Programme.slug == demo_data.PROGRAMME_SLUG)
    ) or services.create_programme(
        slug=demo_data.PROGRAMME_SLUG,
        name=demo_data.PROGRAMME_NAME,
        description=demo_data.PROGRAMME_DESCRIPTION,
    )
    for org in demo_data.ORGANISATIONS:
        if services.find_organisation(org.name) is None:
            services.create_organisation(name=org.name, sector=Sector(org.sector))
    partnerships: dict[str, Partnership] = {}
    for item in demo_data.PARTNERSHIPS:
        partnership = db.session.scalar(
            select(Partnership).where(Partnership.slug == item.slug)
        ) or services.create_partnership(
            slug=item.slug,
            name=item.name,
            description=item.description,
            programme=programme,
            scope=Scope(item.scope),
        )
        partnerships[item.slug] = partnership
        present = {p.organisation_id for p in partnership.participations}
        for participant in item.participants:
            organisation = services.find_organisation(participant.organisation)
            if organisation is not None and organisation.id not in present:
                services.set_participation(
                    partnership, organisation, role=PartnerRole(participant.role)
                )
    for person in demo_data.PEOPLE:
        organisation = services.find_organisation(person.organisation)
        if organisation is not None and services.find_person(person.email) is None:
            services.create_person(
                name=person.name,
                email=person.email,
                job_title=person.job_title,
                organisation=organisation,
            )
    for login in DEMO_LOGINS:
        _ensure_login(login, partnerships)
    survey_demo.load()
    record_demo.load()
    _join_county_partnership()
    summary_demo.load()
    db.session.flush()
    return list(DEMO_LOGINS)


def _join_county_partnership() -> None:
    """The coordinator and board member also serve the county strategy's partnership."""
    county = db.session.scalar(
        select(Partnership).where(Partnership.slug == plan_demo.PARTNERSHIP_SLUG)
    )
    if county is None:
        return
    for email, role in (
        ("coordinator@portal.example", MemberRole.COORDINATOR),
        ("board@portal.example", MemberRole.BOARD_MEMBER),
    ):
        person = services.find_person(email)
        if person is not None:
            services.set_membership(county, person, role)


def _ensure_login(login: DemoLogin, partnerships: dict[str, Partnership]) -> None:
    if db.session.scalar(select(User.id).where(User.email == login.email)):
        return
    person = None
    if login.partnership is not None and login.role is not None:
        organisation = services.find_organisation(_DEMO_ORGANISATION[login.partnership])
        if organisation is None:
            return
        person = services.find_person(login.email) or services.create_person(
            name=login.name,
            email=login.email,
            job_title="Demo account",
            organisation=organisation,
        )
        services.set_membership(partnerships[login.partnership], person, login.role)
        if login.email.startswith("coordinator@"):
            services.set_membership(
                partnerships["shine"], person, MemberRole.COORDINATOR
            )
    create_user(
        email=login.email,
        name=login.name,
        password=DEMO_PASSWORD,
        is_admin=login.is_admin,
        person=person,
    )
