"""The demo data set: the RRCF programme and its six PSPs, idempotent, with working logins."""

from sqlalchemy import func
from sqlalchemy import select

from portal import demo
from portal import demo_data
from portal.extensions import db
from portal.models import Organisation
from portal.models import PartnerRole
from portal.models import Partnership
from portal.models import Person
from portal.models import User
from tests.helpers import login


def _counts():
    return tuple(
        db.session.scalar(select(func.count()).select_from(model))
        for model in (Partnership, Organisation, Person, User)
    )


def test_demo_has_the_six_psps_with_their_leads(app):
    demo.load()
    db.session.commit()
    leads = {
        p.slug: next(
            x.organisation.name for x in p.participations if x.role is PartnerRole.LEAD
        )
        for p in db.session.scalars(
            select(Partnership).where(Partnership.programme_id.is_not(None))
        )
    }
    assert leads == {
        "new-routes": "The Wise Group",
        "shine": "Sacro",
        "tca": "Tayside Council on Alcohol",
        "moving-on": "Action for Children",
        "includem-impact": "Includem",
        "vaslan": "Voluntary Action South Lanarkshire",
    }
    national = {
        p.slug
        for p in db.session.scalars(select(Partnership))
        if p.scope.value == "national"
    }
    assert national == {"new-routes", "shine"}
    rrcf = {
        p.slug
        for p in db.session.scalars(select(Partnership))
        if p.programme and p.programme.slug == "rrcf"
    }
    assert rrcf == set(leads)
    # The county strategy's partnership stands outside the programme.
    assert (
        db.session.scalar(
            select(Partnership).where(Partnership.slug == "county-reducing-offending")
        ).programme
        is None
    )


def test_demo_load_is_idempotent_and_keeps_edits(app):
    demo.load()
    db.session.commit()
    before = _counts()
    sacro = db.session.scalar(select(Organisation).where(Organisation.name == "Sacro"))
    sacro.sector = sacro.sector.__class__("other")
    db.session.commit()
    demo.load()
    db.session.commit()
    assert _counts() == before
    assert (
        db.session.scalar(
            select(Organisation).where(Organisation.name == "Sacro")
        ).sector.value
        == "other"
    )


def test_demo_data_is_consistent():
    names = {o.name for o in demo_data.ORGANISATIONS}
    assert len(names) == len(demo_data.ORGANISATIONS)
    used = {p.organisation for ps in demo_data.PARTNERSHIPS for p in ps.participants}
    assert used == names
    assert {p.organisation for p in demo_data.PEOPLE} <= names
    emails = [p.email for p in demo_data.PEOPLE]
    assert len(emails) == len(set(emails))


def test_demo_logins_work_and_are_scoped(client, app):
    demo.load()
    db.session.commit()
    login(client, "tayside@portal.example", demo.DEMO_PASSWORD)
    assert client.get("/partnerships/tca").status_code == 200
    assert client.get("/partnerships/new-routes").status_code == 404
    client.post("/auth/logout")
    login(client, "coordinator@portal.example", demo.DEMO_PASSWORD)
    assert client.get("/partnerships/shine/edit").status_code == 200
    assert client.get("/partnerships/tca").status_code == 404


def test_demo_cli(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["demo", "load", "--if-empty"])
    assert "already has accounts" in result.output
    result = runner.invoke(args=["demo", "logins"])
    assert (
        "tayside@portal.example" in result.output
        and demo.DEMO_PASSWORD in result.output
    )
