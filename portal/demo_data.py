"""Demo directory for `flask --app wsgi demo load`: the RRCF programme and its six PSPs.

Organisations and roles are from seed 002, Annex H (as provided by each PSP). The people
are fictitious, on the reserved ``.example`` domain.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class DemoOrganisation:
    """An organisation with its sector."""

    name: str
    sector: str


@dataclass(frozen=True)
class DemoParticipation:
    """An organisation's role in a partnership."""

    organisation: str
    role: str


@dataclass(frozen=True)
class DemoPartnership:
    """A PSP with its members."""

    slug: str
    name: str
    scope: str
    description: str
    participants: tuple[DemoParticipation, ...]


@dataclass(frozen=True)
class DemoPerson:
    """A fictitious member of staff at an organisation."""

    name: str
    email: str
    job_title: str
    organisation: str


PROGRAMME_SLUG = "rrcf"
PROGRAMME_NAME = "Reducing Reoffending Change Fund"
PROGRAMME_DESCRIPTION = (
    "Funds six Public Social Partnerships that mentor people leaving custody or on "
    "community sentences in Scotland (2012-2017)."
)

_PUBLIC = "public"
_THIRD = "third"

ORGANISATIONS: tuple[DemoOrganisation, ...] = (
    DemoOrganisation("The Wise Group", "social-enterprise"),
    DemoOrganisation("Turning Point Scotland", _THIRD),
    DemoOrganisation("Apex Scotland", _THIRD),
    DemoOrganisation("Sacro", _THIRD),
    DemoOrganisation("YCSA", _THIRD),
    DemoOrganisation("Scottish Association for Mental Health", _THIRD),
    DemoOrganisation("Families Outside", _THIRD),
    DemoOrganisation("Community Justice Authorities", _PUBLIC),
    DemoOrganisation("Jobcentre Plus", _PUBLIC),
    DemoOrganisation("NHS Scotland", _PUBLIC),
    DemoOrganisation("Social Work Scotland", _PUBLIC),
    DemoOrganisation("Access to Industry", _THIRD),
    DemoOrganisation("Barnardo's", _THIRD),
    DemoOrganisation("Circle Scotland", _THIRD),
    DemoOrganisation("Venture Trust", _THIRD),
    DemoOrganisation("Scottish Prison Service", _PUBLIC),
    DemoOrganisation("Tayside Council on Alcohol", _THIRD),
    DemoOrganisation("Dundee City Council", _PUBLIC),
    DemoOrganisation("Angus Council", _PUBLIC),
    DemoOrganisation("Perth and Kinross Council", _PUBLIC),
    DemoOrganisation("Tayside Community Justice Authority", _PUBLIC),
    DemoOrganisation("Police Scotland", _PUBLIC),
    DemoOrganisation("Churches Action for the Homeless", _THIRD),
    DemoOrganisation("Action for Children", _THIRD),
    DemoOrganisation("Northern Community Justice Authority", _PUBLIC),
    DemoOrganisation("South West Scotland Community Justice Authority", _PUBLIC),
    DemoOrganisation("North Strathclyde Community Justice Authority", _PUBLIC),
    DemoOrganisation("East Ayrshire Council", _PUBLIC),
    DemoOrganisation("Renfrewshire Council", _PUBLIC),
    DemoOrganisation("Inverclyde Council", _PUBLIC),
    DemoOrganisation("Highland Council", _PUBLIC),
    DemoOrganisation("Includem", _THIRD),
    DemoOrganisation("Glasgow City Council Social Work Services", _PUBLIC),
    DemoOrganisation("Department for Work and Pensions", _PUBLIC),
    DemoOrganisation("Glasgow Community Justice Authority", _PUBLIC),
    DemoOrganisation("Wheatley Group", "other"),
    DemoOrganisation("Voluntary Action South Lanarkshire", _THIRD),
    DemoOrganisation("Routes to Inclusion", _PUBLIC),
    DemoOrganisation("Routes to Work South", _THIRD),
    DemoOrganisation("Lanarkshire Community Justice Authority", _PUBLIC),
)


def _members(lead: str, *others: tuple[str, str]) -> tuple[DemoParticipation, ...]:
    return (
        DemoParticipation(lead, "lead"),
        *(DemoParticipation(name, role) for name, role in others),
    )


_DP = "delivery-partner"
_P = "partner"

PARTNERSHIPS: tuple[DemoPartnership, ...] = (
    DemoPartnership(
        "new-routes",
        "New Routes",
        "national",
        "National mentoring for male prisoners aged 16-25 serving short sentences, "
        "not receiving statutory support, with a prolific offending history.",
        _members(
            "The Wise Group",
            ("Turning Point Scotland", _DP),
            ("Apex Scotland", _DP),
            ("Sacro", _DP),
            ("YCSA", _DP),
            ("Scottish Association for Mental Health", _P),
            ("Families Outside", _P),
            ("Community Justice Authorities", _P),
            ("Jobcentre Plus", _P),
            ("NHS Scotland", _P),
            ("Social Work Scotland", _P),
        ),
    ),
    DemoPartnership(
        "shine",
        "Shine Women's Mentoring Service",
        "national",
        "National mentoring for women over 18 serving short sentences and not under "
        "statutory supervision, and women on remand or Community Payback Orders.",
        _members(
            "Sacro",
            ("Access to Industry", _DP),
            ("Apex Scotland", _DP),
            ("Barnardo's", _DP),
            ("Circle Scotland", _DP),
            ("Turning Point Scotland", _DP),
            ("The Wise Group", _DP),
            ("Venture Trust", _P),
            ("Scottish Prison Service", _P),
            ("Social Work Scotland", _P),
            ("Community Justice Authorities", _P),
        ),
    ),
    DemoPartnership(
        "tca",
        "Tayside Council on Alcohol",
        "local",
        "Mentoring in Tayside for women offenders (16+) and persistent offenders "
        "(16-25) on court orders, bail or Structured Deferred Sentences.",
        _members(
            "Tayside Council on Alcohol",
            ("Dundee City Council", _P),
            ("Angus Council", _P),
            ("Perth and Kinross Council", _P),
            ("Tayside Community Justice Authority", _P),
            ("Police Scotland", _P),
            ("Churches Action for the Homeless", _P),
        ),
    ),
    DemoPartnership(
        "moving-on",
        "BAFC Moving On Scotland",
        "local",
        "Mentoring in East Ayrshire, Inverclyde, Renfrewshire and Highland for young "
        "people aged 16-21 who are in, or have left, HMYOI Polmont.",
        _members(
            "Action for Children",
            ("Barnardo's", _DP),
            ("Scottish Prison Service", _P),
            ("Northern Community Justice Authority", _P),
            ("South West Scotland Community Justice Authority", _P),
            ("North Strathclyde Community Justice Authority", _P),
            ("East Ayrshire Council", _P),
            ("Renfrewshire Council", _P),
            ("Inverclyde Council", _P),
            ("Highland Council", _P),
        ),
    ),
    DemoPartnership(
        "includem-impact",
        "Includem IMPACT",
        "local",
        "City-wide mentoring in Glasgow for 16-21 year olds committing multiple "
        "offences, especially violent ones.",
        _members(
            "Includem",
            ("Glasgow City Council Social Work Services", _P),
            ("NHS Scotland", _P),
            ("Police Scotland", _P),
            ("Department for Work and Pensions", _P),
            ("Glasgow Community Justice Authority", _P),
            ("Wheatley Group", _P),
        ),
    ),
    DemoPartnership(
        "vaslan",
        "VASLan - Chance to Change",
        "local",
        "Volunteer mentoring in South Lanarkshire for young offenders aged 16-25, "
        "male and female.",
        _members(
            "Voluntary Action South Lanarkshire",
            ("Routes to Inclusion", _P),
            ("Routes to Work South", _P),
            ("Lanarkshire Community Justice Authority", _P),
        ),
    ),
)

_FIRST = (
    "Fiona",
    "Callum",
    "Isla",
    "Ewan",
    "Morag",
    "Ross",
    "Eilidh",
    "Fraser",
    "Kirsty",
    "Hamish",
    "Ailsa",
    "Gregor",
    "Shona",
    "Lachlan",
    "Catriona",
    "Duncan",
    "Mhairi",
    "Alasdair",
    "Rhona",
    "Niall",
)
_LAST = (
    "MacLeod",
    "Stewart",
    "Campbell",
    "Fraser",
    "Robertson",
    "Murray",
    "Reid",
    "Paterson",
    "Morrison",
    "Grant",
    "Ross",
    "Sinclair",
    "Baird",
    "Gillies",
    "Munro",
    "Kerr",
    "Boyd",
    "Drummond",
    "Cowan",
    "Mackay",
    "Lindsay",
)
_TITLES_THIRD = ("Service Manager", "Mentoring Coordinator", "Partnership Officer")
_TITLES_PUBLIC = (
    "Criminal Justice Social Work Manager",
    "Partnership Officer",
    "Head of Operations",
)
_LEADS = {p.participants[0].organisation for p in PARTNERSHIPS}


def _domain(name: str) -> str:
    letters = "".join(ch for ch in name.lower() if ch.isalnum() or ch == " ")
    words = [w for w in letters.split() if w not in {"the", "of", "for", "and", "to"}]
    return "-".join(words[:3]) + ".example"


def _people() -> tuple[DemoPerson, ...]:
    people = []
    index = 0
    for organisation in ORGANISATIONS:
        titles = _TITLES_PUBLIC if organisation.sector == _PUBLIC else _TITLES_THIRD
        for slot in range(3 if organisation.name in _LEADS else 2):
            first = _FIRST[index % len(_FIRST)]
            last = _LAST[index % len(_LAST)]
            index += 1
            people.append(
                DemoPerson(
                    name=f"{first} {last}",
                    email=f"{first}.{last}@{_domain(organisation.name)}".lower(),
                    job_title=titles[slot],
                    organisation=organisation.name,
                )
            )
    return tuple(people)


#: Names cycle through two lists of coprime length, so no two people share a name.
PEOPLE: tuple[DemoPerson, ...] = _people()
