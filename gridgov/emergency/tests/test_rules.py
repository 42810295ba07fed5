"""The rules engine: risk at a place on a day, each level's measure with its dates, tasks
and explanation, late reports, impossible dates, downgrade proposals and the
certification window."""

import copy
import pickle
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation

from gridgov.emergency import policy
from gridgov.emergency.rules import (
    LEVEL_ORDER,
    SHANGHAI,
    ArrivalError,
    ArrivalFacts,
    Engine,
    RiskIndex,
    certification_window,
    downgrade_due,
    higher_level_qualifies,
)

POLICY = policy.parse(policy.DEFAULT_RULES)
VERSION = "2022年第九版"
MARCH = date(2022, 3, 1)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def at(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def index(*rows) -> RiskIndex:
    return RiskIndex.from_rows(rows)


WUHAN = index(
    ("420103", "high", MARCH, None, "武汉市江汉区"),
    ("420100", "medium", MARCH, None, "武汉市"),
    ("420000", "low", MARCH, None, "湖北省"),
    ("420102001", "high", MARCH, date(2022, 3, 20), "江岸区某街道"),
)


def decide(origin, left_on, arrived_at, reported_at=None, risk=WUHAN, rules=POLICY):
    facts = ArrivalFacts(
        origin,
        f"origin {origin}",
        left_on,
        arrived_at,
        reported_at or arrived_at + timedelta(hours=1),
    )
    return Engine(rules, VERSION, risk).decide(facts)


# --- risk at a place ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "place, level, area",
    [
        ("420103", "high", "420103"),  # the county itself
        ("420103002", "high", "420103"),  # a town of it
        ("420104", "medium", "420100"),  # another district of the prefecture
        ("420200", "low", "420000"),  # another prefecture of the province
        ("421100003", "low", "420000"),
        ("420102001", "high", "420102001"),  # the town area, within medium 420100
        ("420102002", "medium", "420100"),
        ("110101", "none", ""),
    ],
)
def test_the_highest_covering_area_sets_the_level(place, level, area):
    found_level, _label, code = WUHAN.risk_on(place, date(2022, 3, 10))
    assert (found_level, code) == (level, area)


def test_an_area_counts_from_its_first_day_until_the_day_it_ended():
    assert WUHAN.risk_on("420102001", date(2022, 3, 19))[0] == "high"
    assert WUHAN.risk_on("420102001", date(2022, 3, 20))[0] == "medium"
    assert WUHAN.risk_on("420103", date(2022, 2, 28))[0] == "none"


def test_region_codes_of_the_city_cover_by_their_significant_digits():
    city = index(("990101001000", "medium", MARCH, None, "望江街道"))
    assert city.risk_on("990101001001", MARCH)[:2] == ("medium", "望江街道")
    assert city.risk_on("990101001001001", MARCH)[0] == "medium"
    assert city.risk_on("990101002001", MARCH)[0] == "none"


def test_at_equal_levels_the_most_specific_area_is_named():
    both = index(
        ("420000", "high", MARCH, None, "湖北省"), ("420103", "high", MARCH, None, "江汉区")
    )
    assert both.risk_on("420103", MARCH) == ("high", "江汉区", "420103")


def test_bad_rows_are_refused():
    with pytest.raises(ValueError):
        index(("42x", "high", MARCH, None, ""))
    with pytest.raises(ValueError):
        index(("420000", "none", MARCH, None, ""))
    assert len(WUHAN) == 4


def test_level_order_runs_from_none_to_high():
    assert LEVEL_ORDER.index("high") > LEVEL_ORDER.index("medium") > LEVEL_ORDER.index("low")
    assert LEVEL_ORDER.index("none") == 0


# --- measures -------------------------------------------------------------------------


def test_high_risk_origin_gets_central_quarantine_counted_from_departure():
    left = date(2022, 3, 10)
    decision = decide(
        "420103", left, at(left + timedelta(days=5), 9), at(left + timedelta(days=5), 10)
    )
    assert (decision.risk_level, decision.area, decision.days_since_departure) == (
        "high", "武汉市江汉区", 5,
    )  # fmt: skip
    plan = decision.measure
    assert plan.kind == "central_quarantine"
    assert (plan.starts_on, plan.ends_on) == (date(2022, 3, 15), date(2022, 3, 17))
    assert (plan.ends_on - plan.starts_on).days == 2  # two days left of seven
    # Tests on days 1 and 4 fell before the arrival; day 7 is still due.
    assert [(t.kind, t.due_at) for t in plan.tasks] == [
        ("transfer", at(date(2022, 3, 15), 12)),
        ("test", at(date(2022, 3, 17), 23, 59)),
    ]
    assert plan.explanation == (
        "Central quarantine for 7 days counted from departure (until 2022-03-17) because "
        "origin 420103 was a high-risk area on 2022-03-10 (武汉市江汉区), under policy "
        f"version {VERSION}."
    )
    assert decision.explanation == plan.explanation
    assert not decision.late


def test_a_departure_seven_or_more_days_before_arrival_calls_for_nothing():
    left = date(2022, 3, 1)
    for days in (7, 8):
        decision = decide("420103", left, at(left + timedelta(days=days)))
        assert decision.risk_level == "high"
        assert decision.measures == ()
        assert decision.explanation == (
            "No measure: origin 420103 was a high-risk area on 2022-03-01 (武汉市江汉区), but "
            f"policy version {VERSION} calls for none for someone who left it {days} days "
            "before arriving."
        )


def test_a_measure_already_over_at_arrival_is_not_imposed():
    rules = policy.default_rules()
    rules["measures"][0]["within_days"] = 10
    rules["measures"][1]["within_days"] = 10
    rules["measures"][2]["within_days"] = 10
    left = date(2022, 3, 1)
    decision = decide("420103", left, at(date(2022, 3, 9)), rules=policy.parse(rules))
    assert decision.measures == ()
    assert decision.explanation == (
        "No measure: origin 420103 was a high-risk area on 2022-03-01 (武汉市江汉区), but its "
        "measure (Central quarantine, 7 days counted from departure) ended on 2022-03-08, by "
        f"the arrival on 2022-03-09, under policy version {VERSION}."
    )


def test_medium_risk_origin_gets_home_quarantine_with_visit_seal_checks_and_tests():
    left = date(2022, 3, 10)
    arrived = at(date(2022, 3, 11), 9)
    decision = decide("420104", left, arrived, at(date(2022, 3, 11), 10))
    plan = decision.measure
    assert (plan.kind, plan.starts_on, plan.ends_on) == (
        "home_quarantine", date(2022, 3, 11), date(2022, 3, 17),
    )  # fmt: skip
    kinds = [t.kind for t in plan.tasks]
    assert kinds.count("daily_check") == 7  # days 1 to 7: 11 to 17 March
    assert [t.due_at for t in plan.tasks if t.kind == "daily_check"][0] == at(date(2022, 3, 11), 20)
    assert [t.due_at for t in plan.tasks if t.kind == "test"] == [
        at(date(2022, 3, 11), 23, 59),
        at(date(2022, 3, 17), 23, 59),
    ]
    assert [t.due_at for t in plan.tasks if t.kind == "home_visit"] == [at(date(2022, 3, 11), 22)]
    assert [t.due_at for t in plan.tasks if t.kind == "door_seal"] == [at(date(2022, 3, 12), 10)]
    assert [t.due_at for t in plan.tasks] == sorted(t.due_at for t in plan.tasks)
    assert "was a medium-risk area on 2022-03-10 (武汉市)" in plan.explanation


def test_low_risk_origin_gets_two_tests_in_three_days_from_arrival():
    left = date(2022, 3, 10)
    decision = decide("420500", left, at(date(2022, 3, 12), 15))
    plan = decision.measure
    assert (plan.kind, plan.starts_on, plan.ends_on) == (
        "health_monitoring", date(2022, 3, 12), date(2022, 3, 15),
    )  # fmt: skip
    # The visit is due 12 hours after the 16:00 report; day 0 is the arrival day.
    assert [(t.kind, t.due_at) for t in plan.tasks] == [
        ("home_visit", at(date(2022, 3, 13), 4)),
        ("daily_check", at(date(2022, 3, 13), 20)),
        ("test", at(date(2022, 3, 13), 23, 59)),
        ("daily_check", at(date(2022, 3, 14), 20)),
        ("daily_check", at(date(2022, 3, 15), 20)),
        ("test", at(date(2022, 3, 15), 23, 59)),
    ]
    assert plan.explanation == (
        "Health monitoring for 3 days from arrival (until 2022-03-15) because origin 420500 "
        f"was a low-risk area on 2022-03-10 (湖北省), under policy version {VERSION}."
    )


def test_the_level_is_read_on_the_day_of_departure():
    # Left the town on its last day as a high-risk area; arrived after it ended.
    decision = decide("420102001", date(2022, 3, 19), at(date(2022, 3, 21)))
    assert (decision.risk_level, decision.area) == ("high", "江岸区某街道")
    assert "2022-03-19" in decision.explanation


def test_an_area_ended_before_departure_does_not_count():
    decision = decide("420102001", date(2022, 3, 20), at(date(2022, 3, 21)))
    assert (decision.risk_level, decision.area) == ("medium", "武汉市")


def test_no_risk_area_no_measure():
    decision = decide("110101", date(2022, 3, 10), at(date(2022, 3, 11)))
    assert (decision.risk_level, decision.measures, decision.late) == ("none", (), False)
    assert decision.explanation == (
        "No measure: origin 110101 was not a risk area on 2022-03-10 under policy version "
        f"{VERSION}."
    )


# --- reporting -------------------------------------------------------------------------


def test_a_report_after_the_hours_allowed_is_flagged_late():
    arrived = at(date(2022, 3, 11), 8)
    decision = decide(
        "110101", date(2022, 3, 10), arrived, arrived + timedelta(hours=15, minutes=30)
    )
    assert decision.late
    assert (decision.hours_after_arrival, decision.hours_late) == (15.5, 3.5)
    assert decision.explanation.endswith("Reported 15.5 hours after arrival; the policy allows 12.")
    on_time = decide("110101", date(2022, 3, 10), arrived, arrived + timedelta(hours=12))
    assert not on_time.late and on_time.hours_late == 0


def test_a_late_report_schedules_no_task_already_past():
    left = date(2022, 3, 10)
    arrived = at(date(2022, 3, 11), 9)
    decision = decide("420104", left, arrived, at(date(2022, 3, 14), 9))
    plan = decision.measure
    assert plan.ends_on == date(2022, 3, 17)
    assert min(t.due_at for t in plan.tasks) >= at(date(2022, 3, 14), 9)
    assert [t.kind for t in plan.tasks].count("daily_check") == 4  # 14 to 17 March
    assert decision.late and "Reported 72 hours after arrival" in decision.explanation


def test_dates_in_the_wrong_order_are_refused():
    left_late = "The person left on 2022-03-12, after arriving on 2022-03-11."
    with pytest.raises(ArrivalError, match=left_late):
        decide("420103", date(2022, 3, 12), at(date(2022, 3, 11)))
    with pytest.raises(ArrivalError, match="is after the report at 2022-03-11 09:00"):
        decide("420103", date(2022, 3, 10), at(date(2022, 3, 11), 10), at(date(2022, 3, 11), 9))
    with pytest.raises(ArrivalError):
        decide("420103", date(2022, 3, 10), datetime(2022, 3, 11, 10))


def test_the_arrival_day_is_the_local_day():
    # 23:30 in Shanghai on the 11th is 15:30 UTC: the same local day, whatever the zone given.
    arrived = datetime(2022, 3, 11, 15, 30, tzinfo=ZoneInfo("UTC"))
    decision = decide("420104", date(2022, 3, 10), arrived)
    assert decision.days_since_departure == 1
    assert decision.measure.starts_on == date(2022, 3, 11)


def test_explanations_are_translated_strings():
    with translation.override("zh-hans"):
        decision = decide("420103", date(2022, 3, 10), at(date(2022, 3, 12)))
    assert VERSION in decision.explanation and "2022-03-10" in decision.explanation


# --- downgrades ------------------------------------------------------------------------


def test_a_high_risk_area_is_due_for_medium_after_the_days_without_a_case():
    proposal = downgrade_due("high", date(2022, 3, 5), MARCH, date(2022, 3, 10), POLICY)
    assert (proposal.to_level, proposal.due_on) == ("medium", date(2022, 3, 19))
    assert proposal.explanation == (
        "High risk to Medium risk due on 2022-03-19: 14 days without a new case after the "
        "last one, on 2022-03-05. 9 days to go."
    )


def test_without_a_case_the_count_runs_from_the_day_the_level_was_taken():
    proposal = downgrade_due("medium", None, date(2022, 3, 19), date(2022, 3, 26), POLICY)
    assert (proposal.to_level, proposal.due_on) == ("low", date(2022, 3, 26))
    assert "since the area took this level on 2022-03-19" in proposal.explanation
    assert "to go" not in proposal.explanation
    # A case from before the level was taken does not shorten the count.
    earlier = downgrade_due(
        "medium", date(2022, 3, 1), date(2022, 3, 19), date(2022, 3, 26), POLICY
    )
    assert earlier.due_on == date(2022, 3, 26)


def test_a_low_risk_area_is_due_to_be_lifted():
    proposal = downgrade_due("low", date(2022, 4, 1), MARCH, date(2022, 4, 10), POLICY)
    assert (proposal.to_level, proposal.due_on) == ("", date(2022, 4, 8))
    assert proposal.explanation.startswith("Low risk area due to be lifted on 2022-04-08")


def test_no_proposal_for_no_risk():
    assert downgrade_due("none", None, MARCH, MARCH, POLICY) is None


# --- certification ---------------------------------------------------------------------


def test_fourteen_clear_days_up_to_today_qualify():
    window = certification_window(date(2022, 3, 1), date(2022, 3, 15), POLICY)
    assert (window.qualifies, window.clear_since, window.days_clear) == (
        True, date(2022, 3, 2), 14,
    )  # fmt: skip
    assert window.explanation.startswith("14 consecutive days")


def test_thirteen_clear_days_do_not():
    window = certification_window(date(2022, 3, 2), date(2022, 3, 15), POLICY)
    assert not window.qualifies
    assert window.explanation == (
        "Only 13 days without a new confirmed case, suspected case or close contact since "
        "the last one on 2022-03-02; the policy asks for 14, reached on 2022-03-16."
    )


def test_the_window_takes_the_days_with_events_and_ignores_later_ones():
    days = {date(2022, 2, 1), date(2022, 3, 1), date(2022, 3, 20)}
    window = certification_window(days, date(2022, 3, 15), POLICY)
    assert (window.qualifies, window.clear_since) == (True, date(2022, 3, 2))
    assert not certification_window(days | {date(2022, 3, 15)}, date(2022, 3, 15), POLICY).qualifies


def test_no_event_on_record_qualifies():
    window = certification_window(None, date(2022, 3, 15), POLICY)
    assert (window.qualifies, window.clear_since, window.days_clear) == (
        True, date(2022, 3, 2), None,
    )  # fmt: skip
    assert certification_window(set(), date(2022, 3, 15), POLICY).qualifies


def test_a_policy_survives_copy_and_pickle():
    assert copy.deepcopy(POLICY) == POLICY
    assert pickle.loads(pickle.dumps(POLICY)) == POLICY


def test_a_higher_level_qualifies_by_the_share_certified():
    assert higher_level_qualifies(4, 4, POLICY)[0]
    qualifies, explanation = higher_level_qualifies(3, 4, POLICY)
    assert not qualifies
    assert explanation == "Only 3 of its 4 areas are certified; the policy asks for 100%."
    assert not higher_level_qualifies(0, 0, POLICY)[0]
