"""Memoranda of understanding: versions, guarded status, signatures, register, history."""

import io
from datetime import UTC
from datetime import date
from datetime import datetime
from decimal import Decimal

import pytest
from sqlalchemy import func
from sqlalchemy import select
from sqlalchemy import update
from sqlalchemy.exc import IntegrityError

from governance import agreements
from governance.agreements import Agreement
from governance.agreements import AgreementContent
from governance.agreements import AgreementDocument
from governance.agreements import AgreementError
from governance.agreements import AgreementEvent
from governance.agreements import AgreementStatus
from governance.agreements import AgreementVersion
from governance.agreements import Funding
from governance.agreements import PartyChange
from governance.agreements import PartyTerms
from governance.agreements import Signature
from governance.uploads import UploadError
from portal.errors import EditConflictError
from portal.extensions import db
from portal.models import MemberRole
from portal.models import PartnerRole
from portal.models import Sector
from tests.sample_files import make_pdf

TODAY = date(2018, 6, 1)
AT = datetime(2018, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _uploads(app, tmp_path):
    app.config["UPLOAD_FOLDER"] = str(tmp_path / "uploads")


@pytest.fixture
def mou(world, make_organisation, make_user):
    """Partnership X with a public funder, and a second coordinator."""
    council = make_organisation(
        "X Council",
        partnership=world["x"],
        sector=Sector.PUBLIC,
        role=PartnerRole.PARTNER,
    )
    second = make_user(
        "coord2-x@example.org",
        partnership=world["x"],
        role=MemberRole.COORDINATOR,
        organisation=world["x_lead"],
    )
    return {**world, "council": council, "second": second}


def content(mou, **overrides) -> AgreementContent:
    values = {
        "purpose": "Reduce reoffending by working together",
        "scope": "Young men leaving prison",
        "vision": "Fewer victims",
        "decision_protocol": "The lead consults a rotating deputy lead",
        "starts_on": date(2015, 10, 1),
        "review_on": date(2017, 9, 30),
        "ends_on": date(2018, 3, 31),
        "parties": [
            PartyTerms(mou["x_lead"], "Lead organisation", "Chairs the board"),
            PartyTerms(mou["x_partner"], "Delivery partner", "Supplies mentors"),
            PartyTerms(mou["council"], "Public sector partner", "Funds mentoring"),
        ],
        "funding": [
            Funding(mou["council"], "25000", "2015-17", "subject to budget approval")
        ],
    }
    values.update(overrides)
    return AgreementContent(**values)


def create(mou, **overrides) -> Agreement:
    agreement = agreements.create_agreement(
        mou["x"],
        title="New Routes memorandum",
        content=content(mou, **overrides),
        by=mou["x_coordinator"],
        at=AT,
    )
    db.session.commit()
    return agreement


def agreed(mou, **overrides) -> Agreement:
    agreement = create(mou, **overrides)
    agreements.agree(
        agreement.versions[0],
        opened_version=agreement.version,
        agreed_on=date(2015, 9, 28),
        by=mou["x_coordinator"],
        at=AT,
        today=TODAY,
    )
    db.session.commit()
    return agreement


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


# Creating and validating -------------------------------------------------------------


def test_a_new_memorandum_is_a_structured_draft_version_1(mou):
    agreement = create(mou)
    (version,) = agreement.versions
    assert (version.number, version.status) == (1, AgreementStatus.DRAFT)
    assert version.purpose == "Reduce reoffending by working together"
    assert [p.organisation for p in version.parties] == [
        mou["x_lead"],
        mou["x_partner"],
        mou["council"],
    ]
    (funding,) = version.funding
    assert funding.amount == Decimal("25000.00")
    assert funding.text == "£25,000 for 2015-17 (subject to budget approval)"
    assert agreement.current is None
    assert agreement.draft is version
    (created,) = agreements.history(agreement)
    assert created.field == "created"
    assert created.user == mou["x_coordinator"]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"starts_on": date(2018, 4, 1), "ends_on": date(2018, 3, 31)},
            "end date must be on or after the start date",
        ),
        (
            {"review_on": date(2015, 1, 1)},
            "review date must be on or after the start date",
        ),
        (
            {"review_on": date(2019, 1, 1)},
            "review date must be on or before the end date",
        ),
        ({"purpose": "   "}, "Enter the purpose"),
        ({"funding": [Funding("council", "-5", "2015-17")]}, "cannot be negative"),
        ({"funding": [Funding("council", "lots", "2015-17")]}, "amount in pounds"),
        ({"funding": [Funding("council", "10.005", "2015-17")]}, "pounds and pence"),
        ({"funding": [Funding("council", "1e15", "2015-17")]}, "too large"),
        ({"funding": [Funding("council", "100", " ")]}, "Enter the period"),
        ({"funding": [Funding("y_lead", "100", "2015-17")]}, "must be a party"),
        (
            {"parties": [PartyTerms("y_lead", "Partner")]},
            "does not take part in Partnership X",
        ),
        (
            {"parties": [PartyTerms("x_lead", "Lead"), PartyTerms("x_lead", "Lead")]},
            "listed twice",
        ),
        ({"parties": [PartyTerms("x_lead", " ")]}, "Enter the role"),
    ],
)
def test_bad_memoranda_are_refused_and_nothing_is_saved(mou, overrides, message):
    # Organisations are named by fixture key in the table above.
    for key in ("funding", "parties"):
        if key in overrides:
            overrides[key] = [
                type(item)(mou[item.organisation], *list(vars(item).values())[1:])
                for item in overrides[key]
            ]
    with pytest.raises(AgreementError, match=message) as caught:
        create(mou, **overrides)
    assert caught.value.status == 422
    db.session.rollback()
    assert count(Agreement) == count(AgreementVersion) == count(AgreementEvent) == 0


def test_a_title_is_required(mou):
    with pytest.raises(AgreementError, match="Enter the title"):
        agreements.create_agreement(
            mou["x"], title=" ", content=content(mou), by=None, at=AT
        )


def test_the_database_refuses_an_end_before_the_start(mou):
    agreement = create(mou)
    with pytest.raises(IntegrityError):
        db.session.execute(
            update(AgreementVersion)
            .where(AgreementVersion.agreement_id == agreement.id)
            .values(ends_on=date(2000, 1, 1))
        )
    db.session.rollback()


# Status -------------------------------------------------------------------------------


def test_agreeing_makes_the_draft_current(mou):
    agreement = agreed(mou)
    version = agreement.versions[0]
    assert version.status is AgreementStatus.AGREED
    assert version.agreed_on == date(2015, 9, 28)
    assert agreement.current is version
    assert agreement.draft is None
    assert [e.field for e in agreements.history(agreement)] == ["created", "status"]


@pytest.mark.parametrize(
    ("method", "status", "message"),
    [
        ("agree", AgreementStatus.AGREED, "agreed and cannot become agreed"),
        ("agree", AgreementStatus.SUPERSEDED, "superseded and cannot become agreed"),
        ("agree", AgreementStatus.ENDED, "ended and cannot become agreed"),
        ("end", AgreementStatus.DRAFT, "draft and cannot become ended"),
        ("end", AgreementStatus.SUPERSEDED, "superseded and cannot become ended"),
        ("end", AgreementStatus.ENDED, "ended and cannot become ended"),
        ("supersede", AgreementStatus.DRAFT, "draft and cannot become superseded"),
        ("supersede", AgreementStatus.ENDED, "ended and cannot become superseded"),
    ],
)
def test_status_moves_are_guarded(method, status, message):
    version = AgreementVersion(number=1, status=status)
    with pytest.raises(AgreementError, match=message):
        getattr(version, method)(date(2016, 1, 1))
    assert version.status is status


def test_agree_refuses_a_future_date_and_a_partyless_draft(mou):
    agreement = create(mou)
    with pytest.raises(AgreementError, match="cannot be in the future"):
        agreements.agree(
            agreement.versions[0],
            opened_version=agreement.version,
            agreed_on=date(2018, 6, 2),
            by=None,
            today=TODAY,
        )
    db.session.rollback()
    empty = agreements.create_agreement(
        mou["x"], title="Empty", content=content(mou, parties=[], funding=[]), by=None
    )
    with pytest.raises(AgreementError, match="Add the party organisations"):
        agreements.agree(
            empty.versions[0],
            opened_version=empty.version,
            agreed_on=date(2016, 1, 1),
            by=None,
            today=TODAY,
        )


def test_ending_needs_a_reason_and_takes_it_off_the_register(mou):
    agreement = agreed(mou)
    version = agreement.versions[0]
    with pytest.raises(AgreementError, match="Enter the reason"):
        agreements.end_agreement(
            version,
            opened_version=agreement.version,
            ended_on=TODAY,
            reason="",
            by=None,
        )
    with pytest.raises(AgreementError, match="on or after 28 September 2015"):
        agreements.end_agreement(
            version,
            opened_version=agreement.version,
            ended_on=date(2015, 1, 1),
            reason="Wound up",
            by=None,
        )
    agreements.end_agreement(
        version,
        opened_version=agreement.version,
        ended_on=TODAY,
        reason="The partnership was wound up",
        by=mou["x_coordinator"],
    )
    db.session.commit()
    assert version.status is AgreementStatus.ENDED
    assert agreements.register(None, TODAY) == []
    with pytest.raises(AgreementError, match="Only an agreed memorandum"):
        agreements.amend(agreement, opened_version=agreement.version, by=None)


# Drafting, amending and comparing -------------------------------------------------------


def test_editing_a_draft_records_each_changed_field(mou):
    agreement = create(mou)
    version = agreement.versions[0]
    changed = agreements.update_draft(
        version,
        opened_version=agreement.version,
        content=content(
            mou,
            vision="No more victims",
            funding=[Funding(mou["council"], "30000", "2015-17", "subject to budget")],
        ),
        by=mou["second"],
        at=AT,
    )
    db.session.commit()
    assert changed == ["vision", "funding"]
    assert version.vision == "No more victims"
    assert [f.amount for f in version.funding] == [Decimal("30000.00")]
    events = agreements.history(agreement)
    assert [(e.field, e.user) for e in events[1:]] == [
        ("vision", mou["second"]),
        ("funding", mou["second"]),
    ]
    assert events[1].old_value == "Fewer victims"
    assert events[1].new_value == "No more victims"


def test_only_drafts_can_be_edited(mou):
    agreement = agreed(mou)
    with pytest.raises(AgreementError, match="amend the memorandum"):
        agreements.update_draft(
            agreement.versions[0],
            opened_version=agreement.version,
            content=content(mou, vision="Changed"),
            by=None,
        )
    db.session.rollback()
    assert agreement.versions[0].vision == "Fewer victims"


def test_two_editors_of_a_draft_the_second_gets_a_conflict(mou):
    agreement = create(mou)
    version = agreement.versions[0]
    opened = agreement.version
    agreements.update_draft(
        version, opened_version=opened, content=content(mou, vision="A's"), by=None
    )
    db.session.commit()
    with pytest.raises(EditConflictError, match="Someone else changed this memorandum"):
        agreements.update_draft(
            version, opened_version=opened, content=content(mou, scope="B's"), by=None
        )
    db.session.rollback()
    assert (version.vision, version.scope) == ("A's", "Young men leaving prison")


def test_a_lost_race_on_the_memorandum_is_a_conflict(mou):
    agreement = create(mou)
    db.session.execute(
        update(Agreement)
        .where(Agreement.id == agreement.id)
        .values(version=Agreement.version + 1)
        .execution_options(synchronize_session=False)
    )
    with pytest.raises(EditConflictError):
        agreements.update_draft(
            agreement.versions[0],
            opened_version=agreement.version,
            content=content(mou, vision="Mine"),
            by=None,
        )
    db.session.rollback()
    assert db.session.get(AgreementVersion, agreement.versions[0].id).vision == (
        "Fewer victims"
    )


def test_amending_makes_version_2_and_agreeing_it_supersedes_version_1(mou):
    agreement = agreed(mou)
    first = agreement.versions[0]
    second = agreements.amend(
        agreement,
        opened_version=agreement.version,
        change_note="Renewal for 2017-19",
        by=mou["x_coordinator"],
    )
    db.session.commit()
    assert (second.number, second.status) == (2, AgreementStatus.DRAFT)
    assert second.purpose == first.purpose
    assert [p.organisation for p in second.parties] == [
        p.organisation for p in first.parties
    ]
    # Version 1 is still the one in force, and readable.
    assert agreement.current is first
    assert first.status is AgreementStatus.AGREED
    with pytest.raises(AgreementError, match="already being drafted"):
        agreements.amend(agreement, opened_version=agreement.version, by=None)
    agreements.update_draft(
        second,
        opened_version=agreement.version,
        content=content(mou, ends_on=date(2019, 3, 31), review_on=date(2018, 9, 30)),
        by=None,
    )
    with pytest.raises(AgreementError, match="on or after 28 September 2015"):
        agreements.agree(
            second,
            opened_version=agreement.version,
            agreed_on=date(2015, 1, 1),
            by=None,
            today=TODAY,
        )
    agreements.agree(
        second,
        opened_version=agreement.version,
        agreed_on=date(2018, 3, 20),
        by=None,
        today=TODAY,
    )
    db.session.commit()
    assert first.status is AgreementStatus.SUPERSEDED
    assert first.superseded_on == date(2018, 3, 20)
    assert agreement.current is second
    assert first.purpose == "Reduce reoffending by working together"
    with pytest.raises(AgreementError, match="Only the latest version"):
        agreements.agree(
            first,
            opened_version=agreement.version,
            agreed_on=TODAY,
            by=None,
            today=TODAY,
        )


def test_the_diff_shows_fields_and_each_organisation(mou, make_organisation):
    newcomer = make_organisation("X Housing", partnership=mou["x"])
    agreement = agreed(mou)
    draft = agreements.amend(agreement, opened_version=agreement.version, by=None)
    agreements.update_draft(
        draft,
        opened_version=agreement.version,
        content=content(
            mou,
            purpose="Reduce reoffending; <script>window.__x=1</script>",
            ends_on=date(2019, 3, 31),
            parties=[
                PartyTerms(mou["x_lead"], "Lead organisation", "Chairs the board"),
                PartyTerms(mou["council"], "Public sector partner", "Funds mentoring"),
                PartyTerms(newcomer, "Delivery partner", "Housing support"),
            ],
            funding=[Funding(mou["council"], "20000", "2017-19", "subject to budget")],
        ),
        by=None,
    )
    diff = agreements.diff_versions(agreement.versions[0], draft)
    assert diff.has_changes
    assert [(f.field, f.old, f.new) for f in diff.changed_fields] == [
        (
            "purpose",
            "Reduce reoffending by working together",
            "Reduce reoffending; <script>window.__x=1</script>",
        ),
        ("ends_on", "31 March 2018", "31 March 2019"),
    ]
    changes = {o.organisation: o for o in diff.organisations}
    assert changes["X Lead Org"].change is PartyChange.UNCHANGED
    assert changes["X Partner Org"].change is PartyChange.REMOVED
    assert changes["X Housing"].change is PartyChange.ADDED
    council = changes["X Council"]
    assert council.change is PartyChange.CHANGED
    assert council.changed_parts == ["funding"]
    assert council.old_funding == ("£25,000 for 2015-17 (subject to budget approval)",)
    assert council.new_funding == ("£20,000 for 2017-19 (subject to budget)",)
    same = agreements.diff_versions(draft, draft)
    assert not same.has_changes


def test_versions_of_different_memoranda_cannot_be_compared(mou):
    one, two = create(mou), create(mou)
    with pytest.raises(AgreementError, match="same memorandum"):
        agreements.diff_versions(one.versions[0], two.versions[0])


# Signatures and the register --------------------------------------------------------------


def sign(version, organisation, **overrides):
    values = {
        "organisation": organisation,
        "signatory_name": "Jo Bloggs",
        "signatory_role": "Chief Executive",
        "signed_on": date(2015, 10, 2),
        "by": None,
        "today": TODAY,
    }
    values.update(overrides)
    return agreements.sign(version, **values)


def test_signing_and_who_has_not_signed(mou):
    agreement = agreed(mou)
    version = agreement.versions[0]
    signature = sign(version, mou["x_lead"], person=mou["x_coordinator"].person)
    db.session.commit()
    assert signature.signatory_role == "Chief Executive"
    assert agreements.unsigned_parties(version) == [mou["x_partner"], mou["council"]]
    assert agreements.history(agreement)[-1].field == "signature"


def test_signing_twice_is_refused_and_nothing_changes(mou):
    agreement = agreed(mou)
    version = agreement.versions[0]
    sign(version, mou["x_lead"])
    db.session.commit()
    with pytest.raises(agreements.AlreadySignedError, match="already signed") as caught:
        sign(version, mou["x_lead"], signatory_name="Someone Else")
    assert caught.value.status == 409
    db.session.rollback()
    assert count(Signature) == 1


def test_a_lost_race_to_sign_is_refused_without_undoing_other_work(mou):
    agreement = agreed(mou)
    version = agreement.versions[0]
    assert version.signatures == []
    # Another request signed for the organisation after we loaded the version.
    db.session.execute(
        Signature.__table__.insert().values(
            version_id=version.id,
            organisation_id=mou["x_lead"].id,
            signatory_name="Other",
            signatory_role="CEO",
            signed_on=date(2015, 10, 1),
            recorded_at=AT,
        )
    )
    mou["x"].description = "Other work in the same transaction"
    with pytest.raises(agreements.AlreadySignedError):
        sign(version, mou["x_lead"])
    db.session.commit()
    assert mou["x"].description == "Other work in the same transaction"
    assert count(Signature) == 1


@pytest.mark.parametrize(
    ("who", "overrides", "message"),
    [
        ("y_lead", {}, "not a party to version 1"),
        ("x_lead", {"signed_on": date(2018, 6, 2)}, "cannot be in the future"),
        ("x_lead", {"signatory_name": " "}, "Enter the name"),
        ("x_lead", {"signatory_role": ""}, "Enter the role"),
        ("council", {"person": "x_person"}, "does not work for X Council"),
    ],
)
def test_bad_signatures_are_refused(mou, who, overrides, message):
    agreement = agreed(mou)
    if "person" in overrides:
        overrides["person"] = mou[overrides["person"]]
    with pytest.raises(AgreementError, match=message):
        sign(agreement.versions[0], mou[who], **overrides)
    db.session.rollback()
    assert count(Signature) == 0


def test_superseded_versions_cannot_be_signed(mou):
    agreement = agreed(mou)
    draft = agreements.amend(agreement, opened_version=agreement.version, by=None)
    # Parties may sign the draft before it is agreed.
    sign(draft, mou["x_partner"], signed_on=date(2018, 1, 5))
    agreements.agree(
        draft,
        opened_version=agreement.version,
        agreed_on=date(2018, 3, 1),
        by=None,
        today=TODAY,
    )
    with pytest.raises(AgreementError, match="superseded: only the current"):
        sign(agreement.versions[0], mou["x_lead"])
    assert agreements.unsigned_parties(draft) == [mou["x_lead"], mou["council"]]


@pytest.mark.parametrize(
    ("review_on", "ends_on", "due", "overdue", "past_end"),
    [
        (date(2018, 7, 1), date(2019, 3, 31), True, False, False),
        (date(2018, 7, 31), date(2019, 3, 31), True, False, False),
        (date(2018, 8, 1), date(2019, 3, 31), False, False, False),
        (date(2018, 5, 31), date(2019, 3, 31), False, True, False),
        (date(2017, 9, 30), date(2018, 3, 31), False, True, True),
        (None, None, False, False, False),
    ],
)
def test_the_register_flags_reviews_within_60_days_and_past_end_dates(
    mou, review_on, ends_on, due, overdue, past_end
):
    agreement = agreed(mou, review_on=review_on, ends_on=ends_on)
    (entry,) = agreements.register({mou["x"].id}, TODAY)
    assert entry.agreement is agreement
    assert (entry.review_due, entry.review_overdue, entry.past_end) == (
        due,
        overdue,
        past_end,
    )
    flagged = agreements.due_for_review({mou["x"].id}, TODAY)
    assert (flagged == [entry]) is (due or overdue or past_end)
    assert entry.unsigned == [mou["x_lead"], mou["x_partner"], mou["council"]]
    assert entry.needs_attention


def test_the_register_keeps_to_the_readers_partnerships(mou):
    agreed(mou)
    agreements.create_agreement(
        mou["y"],
        title="Y memorandum",
        content=AgreementContent(purpose="Y's purpose", starts_on=date(2016, 1, 1)),
        by=None,
    )
    assert [e.agreement.title for e in agreements.register({mou["x"].id}, TODAY)] == [
        "New Routes memorandum"
    ]
    assert len(agreements.register(None, TODAY)) == 2
    assert agreements.register(set(), TODAY) == []
    assert agreements.agreements_for(mou["y"])[0].title == "Y memorandum"


# Documents and history ------------------------------------------------------------------


def test_attaching_the_signed_copy(mou):
    agreement = agreed(mou)
    version = agreement.versions[0]
    document = agreements.attach_document(
        version,
        io.BytesIO(make_pdf()),
        "../Signed MoU.pdf",
        by=mou["x_coordinator"],
    )
    db.session.commit()
    assert document.file.display_name == "Signed MoU.pdf"
    assert document.file.partnership_id == mou["x"].id
    assert version.documents == [document]
    assert agreements.history(agreement)[-1].field == "document"


def test_a_bad_attachment_leaves_nothing_behind(mou):
    agreement = agreed(mou)
    events = len(agreements.history(agreement))
    with pytest.raises(UploadError):
        agreements.attach_document(
            agreement.versions[0], io.BytesIO(b"MZ fake"), "mou.pdf", by=None
        )
    db.session.rollback()
    assert count(AgreementDocument) == 0
    assert len(agreements.history(agreement)) == events


def test_history_is_append_only_and_tamper_evident(mou):
    agreement = agreed(mou)
    sign(agreement.versions[0], mou["x_lead"])
    db.session.commit()
    assert agreements.verify_history(agreement) is None
    first = agreements.history(agreement)[0]
    first.note = "rewritten"
    with pytest.raises(ValueError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(agreements.history(agreement)[0])
    with pytest.raises(ValueError, match="cannot be changed"):
        db.session.flush()
    db.session.rollback()
    # Someone with database access rewrites an entry behind the app's back.
    second = agreements.history(agreement)[1]
    db.session.execute(
        update(AgreementEvent)
        .where(AgreementEvent.id == second.id)
        .values(new_value="ended")
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()
    assert agreements.verify_history(agreement) == 2
    db.session.rollback()
    db.session.execute(
        AgreementEvent.__table__.delete().where(AgreementEvent.id == second.id)
    )
    db.session.expire_all()
    assert agreements.verify_history(agreement) == 3


def test_a_failure_writing_history_saves_nothing(mou, monkeypatch):
    agreement = create(mou)

    def broken(*args, **kwargs):
        raise RuntimeError("audit store unavailable")

    monkeypatch.setattr(agreements, "_record", broken)
    with pytest.raises(RuntimeError):
        agreements.update_draft(
            agreement.versions[0],
            opened_version=agreement.version,
            content=content(mou, vision="Unaudited"),
            by=None,
        )
    db.session.rollback()
    assert agreement.versions[0].vision == "Fewer victims"


def test_money_reads_naturally():
    assert agreements.money(Decimal("2900000")) == "£2,900,000"
    assert agreements.money(Decimal("39070.50")) == "£39,070.50"
