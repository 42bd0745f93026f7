"""Board progress summaries: every figure against the records, the text, freezing.

The world is ``summary_world`` (``tests/governance/conftest.py``), built by
``build_summary_world``: its docstring in ``tests/summary_world.py`` says what is in it.
"""

from datetime import date
from datetime import timedelta

import pytest
from sqlalchemy import select

from governance import completion
from governance import meetings
from governance import plans
from governance import summary as summaries
from governance.meetings import BodyKind
from governance.models import ActionStatus
from governance.summary import BoardSummary
from governance.summary import SummaryChart
from governance.summary import SummaryError
from governance.summary import SummaryPublishedError
from governance.summary import SummaryStatus
from portal.errors import EditConflictError
from portal.extensions import db
from portal.models import MemberRole
from surveys import fieldwork
from surveys.analysis import ALL
from surveys.report import report_rows
from tests.helpers import JANUARY
from tests.helpers import YEAR_END
from tests.helpers import at
from tests.summary_world import APRIL
from tests.summary_world import THEMES
from tests.summary_world import respond


def live(draft_summary, today=date(2018, 4, 10)):
    return summaries.live_figures(draft_summary, today=today)


# Defaults ---------------------------------------------------------------------------


def test_a_draft_for_a_meeting_defaults_to_the_quarter_and_the_last_board_meeting(
    draft, summary_world
):
    assert draft.as_of == YEAR_END
    assert draft.since == JANUARY
    assert draft.until == APRIL - timedelta(days=1)
    assert draft.status is SummaryStatus.DRAFT
    assert draft.title == "Progress summary for the Partnership Board, 17 April 2018"
    assert draft.meeting is summary_world["april"]


def test_a_draft_without_a_meeting_runs_to_today(summary_world):
    made = summaries.create_draft(
        summary_world["x"], by=None, today=date(2018, 5, 20), as_of=YEAR_END
    )
    assert (made.as_of, made.since, made.until) == (YEAR_END, APRIL, None)
    figures = summaries.live_figures(made, today=date(2018, 5, 20))
    assert figures["until"] == figures["reference"] == "2018-05-20"


def test_a_meeting_of_another_partnership_or_cancelled_is_refused(summary_world):
    other = meetings.create_body(
        summary_world["y"], name="Y Board", kind=BodyKind.BOARD
    )
    y_meeting = meetings.create_meeting(other, held_on=APRIL, place="Y Hall")
    with pytest.raises(SummaryError, match="not one of this partnership"):
        summaries.create_draft(summary_world["x"], meeting=y_meeting, by=None)
    meetings.cancel_meeting(summary_world["april"], reason="No quorum")
    with pytest.raises(SummaryError, match="cancelled"):
        summaries.create_draft(
            summary_world["x"], meeting=summary_world["april"], by=None
        )


def test_the_period_for_decisions_must_start_before_the_meeting(summary_world):
    with pytest.raises(SummaryError, match="start before the meeting"):
        summaries.create_draft(
            summary_world["x"],
            meeting=summary_world["april"],
            since=APRIL,
            by=None,
        )


# The action plan ----------------------------------------------------------------------


def test_42_of_53_actions_completed_is_79_per_cent(draft, summary_world):
    figures = live(draft)
    overall = figures["plan"]["overall"]
    assert (overall["scheduled"], overall["completed"]) == (53, 42)
    assert overall["pct_whole"] == 79
    assert overall["completion_pct"] == 79.2
    assert (
        summaries.completion_headline(figures)
        == "42 of 53 actions due by 31 March 2018 completed, 79%"
    )


def test_plan_figures_are_those_of_the_completion_report(draft, summary_world):
    strategy = summary_world["strategy"]
    figures = live(draft)["plan"]
    expected = completion.completion(strategy, as_of=YEAR_END)[0]
    assert figures["overall"] == {
        **expected.as_dict(),
        "pct_whole": 79,
    }
    assert (figures["overall"]["overdue"], figures["overall"]["carried_forward"]) == (
        4,
        1,
    )
    themes = completion.completion(
        strategy, as_of=YEAR_END, by=completion.Breakdown.THEME
    )[1:]
    assert [
        (r["group"], r["scheduled"], r["completed"]) for r in figures["by_theme"]
    ] == [(row.group, row.scheduled, row.completed) for row in themes]
    assert [
        (r["group"], r["scheduled"], r["completed"]) for r in figures["by_theme"]
    ] == [(name, due, done) for name, (due, done) in THEMES.items()]
    groups = completion.completion(
        strategy, as_of=YEAR_END, by=completion.Breakdown.GROUP
    )[1:]
    assert [r["group"] for r in figures["by_group"]] == [row.group for row in groups]
    assert figures["sources"]["overall"] == {
        "endpoint": "plans.progress",
        "args": {"slug": "x-plan", "as_of": "2018-03-31"},
        "anchor": "completion",
    }


def test_figures_are_as_at_the_reporting_date_from_the_history(draft, summary_world):
    """Completing an action in April does not move the March figures of a draft."""
    still_open = next(
        a for a in summary_world["actions"] if a.status is ActionStatus.IN_PROGRESS
    )
    plans.change_status(
        still_open,
        ActionStatus.COMPLETED,
        opened_version=still_open.version,
        by=None,
        completed_on=date(2018, 4, 5),
        at=at(date(2018, 4, 5)),
    )
    db.session.commit()
    assert live(draft)["plan"]["overall"]["completed"] == 42


def test_indicators_against_target_with_rag(draft, summary_world):
    indicators = {i["name"]: i for i in live(draft)["plan"]["indicators"]}
    engagement = indicators["Engagement with helping agencies"]["value"]
    assert (engagement["numerator"], engagement["denominator"]) == (141, 228)
    assert engagement["period_end"] == "2018-03-31"  # the June value is later
    assert engagement["rag"] == "green"
    assert indicators["Confidence"]["value"]["rag"] == "amber"
    assert indicators["Reoffending"]["value"]["rag"] == "red"
    assert indicators["Housing on release"]["value"] is None
    for indicator in summary_world["strategy"].indicators:
        entry = indicators[indicator.name]
        if entry["value"]:
            assert entry["value"]["pct"] == pytest.approx(
                next(v.pct for v in indicator.values if v.period_end == YEAR_END)
            )
            assert (
                entry["value"]["rag"]
                == plans.indicator_rag(indicator, entry["value"]["pct"]).value
            )


# The survey ------------------------------------------------------------------------------


def test_the_latest_wave_and_its_response_rate(draft, summary_world):
    survey = live(draft)["survey"]
    assert survey["survey"]["slug"] == "x-survey"
    wave, previous = survey["wave"], survey["previous"]
    assert (wave["number"], wave["invited"], wave["submitted"], wave["rate"]) == (
        2,
        36,
        30,
        83,
    )
    assert wave["responses"] == 30
    assert (previous["number"], previous["invited"], previous["responses"]) == (
        1,
        None,
        30,
    )
    (rate,) = fieldwork.response_rates(summary_world["survey"].waves[1])
    assert (rate.invited, rate.submitted) == (36, 30)


def test_reliable_changes_are_those_of_the_report(draft, summary_world):
    survey = live(draft)["survey"]
    report = {
        row["item_code"]: row
        for row in report_rows(summary_world["survey"], [1, 2])
        if row["wave"] == 2 and row["group"] == ALL
    }
    changes = {c["code"]: c for c in survey["changes"]}
    assert set(changes) == {"clear_vision", "trust"}
    assert changes["clear_vision"]["flag"] == "improved"
    assert changes["trust"]["flag"] == "declined"
    for code, change in changes.items():
        assert change["flag"] == report[code]["flag"]
        assert change["pct"] == report[code]["pct_positive"]
        assert change["change_pp"] == report[code]["change_pp"]
        assert change["base"] == report[code]["base_n"] == 30
    assert report["sharing"]["flag"] == "no reliable change"
    assert survey["changes"][0]["code"] == "clear_vision"  # improvements first
    assert changes["trust"]["source"] == {
        "endpoint": "results.page",
        "args": {"slug": "x-survey", "waves": [1, 2]},
        "anchor": "item-trust",
    }


def test_headline_questions_carry_the_counts_for_the_chart(draft, summary_world):
    survey = live(draft)["survey"]
    headline = {h["code"]: h for h in survey["headline"]}
    assert [h["code"] for h in survey["headline"]] == [
        "clear_vision",
        "trust",
        "sharing",
    ]
    assert headline["clear_vision"]["counts"] == [12, 14, 2, 2, 0]
    assert headline["trust"]["counts"] == [0, 8, 0, 22, 0]
    assert headline["clear_vision"]["pct_positive"] == pytest.approx(86.7)


def test_a_wave_that_closes_after_the_reference_day_is_not_shown(summary_world):
    made = summaries.create_draft(
        summary_world["x"], as_of=date(2017, 12, 31), since=date(2017, 10, 1), by=None
    )
    figures = summaries.live_figures(made, today=date(2018, 2, 1))
    assert figures["survey"]["wave"]["number"] == 1
    assert figures["survey"]["previous"] is None
    early = summaries.live_figures(made, today=date(2017, 1, 1))
    assert early["survey"] is None


# The governance record -------------------------------------------------------------------


def test_decisions_actions_arising_and_memoranda(draft, summary_world):
    governance = live(draft)["governance"]
    (decision,) = governance["decisions"]
    assert decision["text"] == "The board agreed the prevention delivery plan."
    assert decision["meeting"]["held_on"] == "2018-01-16"
    assert decision["minutes_status"] == "Draft"
    (action,) = governance["actions"]
    assert action["id"] == summary_world["arising"].id
    assert (action["status"], action["open"], action["overdue"]) == (
        "not started",
        True,
        False,
    )
    assert action["in_period"] is True
    (memo,) = governance["memoranda"]
    assert memo["title"] == "X memorandum"
    assert memo["review_due"] is True and memo["review_on"] == "2018-05-01"
    assert memo["unsigned"] == ["X Partner Org"]
    assert [m["held_on"] for m in governance["meetings"]] == ["2018-01-16"]


def test_an_earlier_action_still_open_is_followed_up_and_overdue(summary_world):
    made = summaries.create_draft(
        summary_world["x"],
        as_of=date(2018, 9, 30),
        since=date(2018, 8, 1),
        by=None,
    )
    figures = summaries.live_figures(made, today=date(2018, 10, 1))
    (action,) = figures["governance"]["actions"]
    assert action["in_period"] is False
    assert action["overdue"] is True
    assert figures["governance"]["decisions"] == []


# The text ----------------------------------------------------------------------------------


def test_the_text_is_generated_from_the_figures_and_deterministic(draft):
    figures = live(draft)
    text = summaries.summary_text(figures)
    assert text == summaries.summary_text(live(draft))
    first, indicators, survey, governance = summaries.paragraphs(text)
    assert first.startswith(
        "42 of 53 actions due by 31 March 2018 were completed (79%). 4 were overdue "
        "on that day, and 1 of the actions due was carried forward"
    )
    assert "By theme, completion ranged from 72% (Offender Management) to 85% " in first
    assert indicators == (
        "Of 3 outcome indicators with a value by 31 March 2018, 1 was on or beyond "
        "target, 1 within the amber margin and 1 short of target. Short of target: "
        "Reoffending. 1 indicator had no value yet."
    )
    assert survey.startswith(
        "In wave 2 of the X partner survey, which closed on 10 February 2018, 30 of "
        "36 people invited responded (83%)."
    )
    assert "1 question improved reliably (“The partnership has a clear vision”)" in (
        survey
    )
    assert "1 question declined reliably (“Partners trust each other”)" in survey
    assert governance.startswith(
        "1 decision was recorded at 1 meeting held from 16 January 2018 to "
        "16 April 2018."
    )
    assert governance.endswith(
        "1 memorandum needs attention: X memorandum (review due on 1 May 2018 and "
        "1 party yet to sign)."
    )


def test_the_text_says_when_there_is_nothing_to_report(app, make_partnership):
    empty = make_partnership("empty")
    made = summaries.create_draft(empty, as_of=YEAR_END, by=None, today=APRIL)
    text = summaries.summary_text(summaries.live_figures(made, today=APRIL))
    assert text.split("\n\n") == [
        "No action plan of the partnership covers 31 March 2018.",
        "No survey wave of the partnership had closed with responses by 17 April 2018.",
        "No meeting was held from 1 January 2018 to 17 April 2018. There were no "
        "actions arising to follow up.",
    ]


def test_the_coordinator_edits_the_text_and_can_go_back(draft):
    figures = live(draft)
    summaries.edit_text(
        draft, "Our own words.\n\nSecond paragraph.", figures=figures, opened_version=1
    )
    db.session.commit()
    assert (
        summaries.current_text(draft, figures) == "Our own words.\n\nSecond paragraph."
    )
    assert not summaries.text_is_stale(draft, figures)
    with pytest.raises(EditConflictError):
        summaries.edit_text(draft, "Stale", figures=figures, opened_version=1)
    db.session.rollback()
    summaries.edit_text(draft, "  ", figures=figures, opened_version=draft.version)
    assert draft.text is None
    assert summaries.current_text(draft, figures) == summaries.summary_text(figures)


# Publishing and freezing ---------------------------------------------------------------------


def _publish(draft, summary_world, **kwargs):
    published = summaries.publish(
        draft,
        meeting=None,
        opened_version=draft.version,
        by=summary_world["x_coordinator"],
        today=date(2018, 4, 10),
        at=at(date(2018, 4, 10)),
        **kwargs,
    )
    db.session.commit()
    return published


def test_publishing_freezes_figures_charts_text_and_adds_an_agenda_item(
    draft, summary_world
):
    before = live(draft)
    _publish(draft, summary_world)
    assert draft.status is SummaryStatus.PUBLISHED
    assert draft.frozen_figures() == before
    assert draft.text == summaries.summary_text(before)
    assert [c.key for c in draft.charts] == ["themes", "survey"]
    themes, survey = draft.charts
    assert themes.svg.startswith("<svg") and 'role="img"' in themes.svg
    assert themes.png.startswith(b"\x89PNG")
    assert "Prevention: 20 due; 17 completed" in themes.description
    assert "answers to the headline questions" in survey.svg
    item = draft.agenda_item
    assert item.meeting is summary_world["april"]
    assert item.title == "Board progress summary"
    assert summaries.summaries_by_item(summary_world["april"]) == {item.id: draft}


def test_changing_actions_and_answers_after_publishing_does_not_move_it(
    draft, summary_world
):
    _publish(draft, summary_world)
    frozen = draft.figures
    svgs = [chart.svg for chart in draft.charts]
    text = draft.text
    # An action completed (backdated into March), an indicator corrected,
    # answers added, a decision recorded.
    action = next(
        a for a in summary_world["actions"] if a.status is ActionStatus.IN_PROGRESS
    )
    plans.change_status(
        action,
        ActionStatus.COMPLETED,
        opened_version=action.version,
        by=None,
        completed_on=date(2018, 3, 30),
    )
    indicator = summary_world["strategy"].indicators[2]
    plans.record_indicator_value(
        indicator,
        period_label="2017/18",
        period_end=YEAR_END,
        numerator=10,
        denominator=228,
    )
    survey = summary_world["survey"]
    for _ in range(10):
        respond(survey.waves[1], survey, clear_vision="5", trust="1", sharing="1")
    minutes = summary_world["january"].minutes
    meetings.record_decision(
        minutes,
        summary_world["january"].items[-1],
        "A later decision.",
        opened_version=minutes.version,
        by=None,
    )
    db.session.commit()
    db.session.expire_all()
    # The live figures moved ...
    moved = summaries.assemble(
        summary_world["x"],
        as_of=YEAR_END,
        since=JANUARY,
        until=APRIL - timedelta(days=1),
        today=date(2018, 4, 10),
    )
    assert moved["plan"]["overall"]["completed"] == 43
    assert moved["survey"]["wave"]["responses"] == 40
    # ... the published summary did not.
    published = db.session.get(BoardSummary, draft.id)
    assert published.figures == frozen
    assert summaries.live_figures(published)["plan"]["overall"]["completed"] == 42
    assert [chart.svg for chart in published.charts] == svgs
    assert published.text == text


def test_a_published_summary_refuses_every_change(draft, summary_world):
    _publish(draft, summary_world)
    with pytest.raises(SummaryPublishedError):
        summaries.edit_text(draft, "New", figures={}, opened_version=draft.version)
    with pytest.raises(SummaryPublishedError):
        summaries.publish(draft, meeting=None, opened_version=draft.version, by=None)
    with pytest.raises(SummaryPublishedError):
        summaries.discard(draft, opened_version=draft.version)
    draft.title = "Rewritten"
    with pytest.raises(SummaryPublishedError):
        db.session.flush()
    db.session.rollback()
    chart = db.session.scalars(select(SummaryChart)).first()
    chart.svg = "<svg/>"
    with pytest.raises(SummaryPublishedError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(BoardSummary, draft.id))
    with pytest.raises(SummaryPublishedError):
        db.session.flush()
    db.session.rollback()


def test_publishing_needs_a_meeting_and_one_summary_per_meeting(summary_world, draft):
    loose = summaries.create_draft(summary_world["x"], as_of=YEAR_END, by=None)
    with pytest.raises(SummaryError, match="Choose the meeting"):
        summaries.publish(loose, meeting=None, opened_version=loose.version, by=None)
    _publish(draft, summary_world)
    with pytest.raises(SummaryError, match="already been published"):
        summaries.publish(
            loose,
            meeting=summary_world["april"],
            opened_version=loose.version,
            by=None,
        )


def test_publishing_refuses_edited_text_written_against_other_figures(
    draft, summary_world
):
    summaries.edit_text(
        draft, "Written in March.", figures=live(draft), opened_version=draft.version
    )
    db.session.commit()
    action = next(
        a for a in summary_world["actions"] if a.status is ActionStatus.IN_PROGRESS
    )
    plans.change_status(
        action,
        ActionStatus.COMPLETED,
        opened_version=action.version,
        by=None,
        completed_on=date(2018, 3, 30),
    )
    db.session.commit()
    assert summaries.text_is_stale(draft, live(draft))
    with pytest.raises(SummaryError, match="figures have changed"):
        _publish(draft, summary_world)
    db.session.rollback()
    summaries.edit_text(
        draft, "Checked again.", figures=live(draft), opened_version=draft.version
    )
    db.session.commit()
    assert _publish(draft, summary_world).text == "Checked again."


def test_publishing_to_a_meeting_whose_minutes_are_approved_is_refused(
    summary_world,
):
    made = summaries.create_draft(
        summary_world["x"],
        meeting=summary_world["january"],
        as_of=YEAR_END,
        since=date(2017, 10, 1),
        by=None,
    )
    minutes = summary_world["january"].minutes
    meetings.circulate_minutes(minutes, opened_version=minutes.version, by=None)
    april = summary_world["april"]
    meetings.mark_held(april, today=APRIL)
    meetings.approve_minutes(
        minutes, at_meeting=april, opened_version=minutes.version, by=None, today=APRIL
    )
    db.session.commit()
    with pytest.raises(meetings.MinutesLockedError):
        summaries.publish(made, meeting=None, opened_version=made.version, by=None)


def test_board_members_are_emailed_a_link_once_after_commit(
    draft, summary_world, make_user
):
    make_user(
        "second-board@example.org",
        partnership=summary_world["x"],
        role=MemberRole.BOARD_MEMBER,
    )
    summaries.publish(
        draft, meeting=None, opened_version=draft.version, by=None, today=APRIL
    )
    queued = summaries.notify_board(draft, "https://portal.example/s/1")
    assert queued == 2
    from portal.mail import outbox

    assert outbox() == []  # nothing before the commit
    db.session.commit()
    sent = outbox()
    assert sorted(m.to for m in sent) == [
        "board-x@example.org",
        "second-board@example.org",
    ]
    for message in sent:
        assert "https://portal.example/s/1" in message.body
        assert "%" not in message.body and "42" not in message.body
    assert summaries.board_members(summary_world["y"]) == []


def test_a_draft_can_be_discarded(draft):
    summaries.discard(draft, opened_version=draft.version)
    db.session.commit()
    assert db.session.scalar(select(BoardSummary)) is None


# Comparing -----------------------------------------------------------------------------------


def test_two_summaries_side_by_side(draft, summary_world):
    _publish(draft, summary_world)
    later = summaries.create_draft(
        summary_world["x"], as_of=date(2018, 6, 30), since=APRIL, by=None
    )
    plans.change_status(
        summary_world["arising"],
        ActionStatus.COMPLETED,
        opened_version=summary_world["arising"].version,
        by=None,
        completed_on=date(2018, 5, 1),
        at=at(date(2018, 5, 1)),
    )
    db.session.commit()
    lines = {
        line.label: line
        for line in summaries.compare(
            draft.frozen_figures(),
            summaries.live_figures(later, today=date(2018, 7, 10)),
        )
    }
    assert lines["Figures as at"].first == "31 March 2018"
    assert lines["Figures as at"].second == "30 June 2018"
    assert lines["Actions due"].first == "53"
    assert lines["Actions completed"].first == "42"
    assert lines["Completion rate"].first == "79.2%"
    engagement = lines["Engagement with helping agencies"]
    assert engagement.first == "61.8% (Green)"
    assert engagement.second == "4.4% (Red)"
    assert engagement.change == "\u221257.5 pp"  # from the unrounded values
    assert lines["Response rate"].first == "83%"
    assert lines["Questions improved reliably"].first == "1"
    assert lines["Actions arising still open"].first == "1"
    assert lines["Actions arising still open"].second == "0"
    assert lines["Actions arising still open"].change == "\u22121"


# The demo ----------------------------------------------------------------------------------


def test_the_demo_publishes_to_the_latest_board_meeting_and_drafts_the_next(app):
    from governance import record_demo
    from governance import summary_demo

    today = date(2026, 1, 15)
    record_demo.load(today)
    summary_demo.load(today)
    db.session.commit()
    summary_demo.load(today)
    db.session.commit()
    published, draft_summary = db.session.scalars(
        select(BoardSummary).order_by(BoardSummary.id)
    ).all()
    latest = max(db.session.scalars(select(meetings.Meeting)), key=lambda m: m.held_on)
    assert published.is_published and published.meeting is latest
    assert published.agenda_item.meeting is latest
    assert published.as_of == date(2019, 3, 31)
    assert published.frozen_figures()["plan"]["overall"]["scheduled"] > 53
    assert [c.key for c in published.charts] == ["themes", "survey"]
    survey = published.frozen_figures()["survey"]
    assert survey["survey"]["slug"] == summary_demo.SURVEY_SLUG
    assert {c["code"]: c["flag"] for c in survey["changes"]} == {
        "information_sharing": "improved",
        "decisions": "declined",
    }
    assert draft_summary.status is SummaryStatus.DRAFT
    assert draft_summary.title == summary_demo.NEXT_TITLE
    assert draft_summary.as_of == date(2019, 6, 30)
    assert draft_summary.since == latest.held_on
