"""The policy's rules as data: the default parses, malformed rules are refused with the
place of each problem, and a policy that contradicts itself is refused with a message
saying how."""

import json

import pytest
from django.utils import translation

from gridgov.emergency import policy
from gridgov.emergency.policy import PolicyError, parse


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def refused(rules) -> list[str]:
    with pytest.raises(PolicyError) as caught:
        parse(rules)
    assert str(caught.value) == "\n".join(caught.value.messages)
    return caught.value.messages


def rules_with(**changes):
    rules = policy.default_rules()
    rules.update(changes)
    return rules


def test_the_default_rules_parse_into_the_2022_policy():
    parsed = parse(policy.default_rules())
    assert parsed.report_within_hours == 12
    high, medium, low = parsed.measures
    assert (high.origin_risk, high.measure, high.days, high.counted_from) == (
        "high", "central_quarantine", 7, "departure",
    )  # fmt: skip
    assert high.tests_on_days == (1, 4, 7)
    assert (low.measure, low.days, low.counted_from, low.tests_on_days) == (
        "health_monitoring", 3, "arrival", (1, 3),
    )  # fmt: skip
    assert medium.path == "measures[1]"
    assert [t.task for t in parsed.tasks["home_quarantine"]] == [
        "home_visit", "door_seal", "daily_check",
    ]  # fmt: skip
    assert parsed.tasks["home_quarantine"][2].every_day
    assert parsed.tasks["central_quarantine"][0].within_hours == 2
    assert parsed.downgrade.days_at("medium") == 7
    assert parsed.certification.required_measures[0] == "closed_management"
    assert parsed.certification.higher_level_share == 1.0


def test_the_default_rules_survive_json_and_are_a_fresh_copy_each_time():
    rules = policy.default_rules()
    rules["measures"].clear()
    assert policy.DEFAULT_RULES["measures"]
    assert parse(json.loads(json.dumps(policy.default_rules()))) == parse(policy.DEFAULT_RULES)


def test_rule_for_finds_the_rule_whose_window_holds_the_days():
    parsed = parse(policy.default_rules())
    assert parsed.rule_for("high", 6).measure == "central_quarantine"
    assert parsed.rule_for("high", 7) is None
    assert parsed.rule_for("none", 0) is None


def test_rules_that_are_not_an_object_are_refused():
    assert refused([1, 2]) == ["The rules must be a JSON object."]


def test_every_key_is_required_and_unknown_keys_are_refused():
    rules = policy.default_rules()
    del rules["downgrade"]
    del rules["measures"][2]["counted_from"]
    rules["measures"][0]["tests"] = [1]
    rules["extra"] = 1
    messages = refused(rules)
    assert "downgrade is missing." in messages
    assert "measures[2].counted_from is missing." in messages
    assert any(m.startswith("measures[0].tests is not a known key") for m in messages)
    assert any(m.startswith("extra is not a known key") for m in messages)


@pytest.mark.parametrize(
    "value",
    [0, -1, 2.5, 7.0, "7", True, None, 61],
)
def test_measure_days_must_be_a_whole_number_in_range(value):
    rules = policy.default_rules()
    rules["measures"][2]["days"] = value
    assert "measures[2].days must be a whole number from 1 to 60." in refused(rules)


def test_unknown_risk_level_measure_and_counting_are_named():
    rules = policy.default_rules()
    rules["measures"][0].update(origin_risk="none", measure="hotel", counted_from="exposure")
    messages = refused(rules)
    assert "measures[0].origin_risk must be one of: high, medium, low." in messages
    assert any(
        m.startswith("measures[0].measure must be one of: central_quarantine") for m in messages
    )
    assert "measures[0].counted_from must be one of: departure, arrival." in messages


def test_report_within_hours_must_be_at_least_one():
    assert "report_within_hours must be a whole number from 1 to 720." in refused(
        rules_with(report_within_hours=0)
    )


def test_a_window_must_end_after_it_starts():
    rules = policy.default_rules()
    rules["measures"][0].update(from_days=7, within_days=7)
    assert "measures[0].within_days must be greater than measures[0].from_days." in refused(rules)


def test_overlapping_windows_for_one_level_are_refused():
    rules = policy.default_rules()
    rules["measures"].append(dict(rules["measures"][0], from_days=5, within_days=14))
    assert (
        "measures[0] and measures[3] both apply to someone who left a High risk area 5 to 6 "
        "days before arriving: their windows overlap."
    ) in refused(rules)


def test_adjoining_windows_for_one_level_are_tiers():
    rules = policy.default_rules()
    rules["measures"].append(
        dict(rules["measures"][2], origin_risk="high", from_days=7, within_days=14)
    )
    parsed = parse(rules)
    assert parsed.rule_for("high", 10).measure == "health_monitoring"


def test_a_lower_level_may_not_call_for_a_stricter_measure():
    rules = policy.default_rules()
    rules["measures"][2].update(measure="central_quarantine", counted_from="departure")
    rules["tasks"].pop("health_monitoring")
    assert (
        "measures[2] (Low risk) calls for a stricter measure, Central quarantine, than "
        "measures[1] (Medium risk), Home quarantine."
    ) in refused(rules)


def test_a_lower_level_may_not_call_for_a_longer_measure():
    rules = policy.default_rules()
    rules["measures"][2].update(days=10, tests_on_days=[1, 10])
    messages = refused(rules)
    assert (
        "measures[2] (Low risk) calls for a longer measure, 10 days, than measures[0] "
        "(High risk), 7 days."
    ) in messages
    assert any(m.startswith("measures[2] (Low risk) calls for a longer measure") and
               "measures[1] (Medium risk)" in m for m in messages)  # fmt: skip


def test_a_lower_level_may_not_have_a_measure_where_a_higher_level_has_none():
    rules = policy.default_rules()
    rules["measures"][2]["within_days"] = 14
    assert (
        "measures[2] (Low risk) calls for a measure for someone who left 7 days before "
        "arriving, but no rule does for High risk."
    ) in refused(rules)


def test_a_measure_counted_from_departure_that_always_ended_by_arrival_is_refused():
    rules = policy.default_rules()
    rules["measures"][0].update(from_days=7, within_days=14)
    rules["measures"][1].update(from_days=7, within_days=14)
    rules["measures"][2].update(from_days=7, within_days=14)
    assert (
        "measures[0] can never apply: 7 days counted from departure have always passed by "
        "the arrival of someone who left 7 or more days before."
    ) in refused(rules)


def test_a_test_day_outside_the_measure_is_refused():
    rules = policy.default_rules()
    rules["measures"][1]["tests_on_days"] = [1, 8]
    assert "measures[1].tests_on_days lists day 8, outside the measure's 7 days." in refused(rules)


def test_a_test_day_twice_is_refused_and_order_does_not_matter():
    rules = policy.default_rules()
    rules["measures"][1]["tests_on_days"] = [7, 1, 7]
    assert "measures[1].tests_on_days lists day 7 twice." in refused(rules)
    rules["measures"][1]["tests_on_days"] = [7, 1]
    assert parse(rules).measures[1].tests_on_days == (1, 7)


def test_a_measure_without_tasks_is_refused():
    rules = policy.default_rules()
    del rules["tasks"]["home_quarantine"]
    assert "tasks has no list for home_quarantine, which measures[1] calls for." in refused(rules)
    rules["tasks"]["home_quarantine"] = []
    assert "tasks.home_quarantine must list at least one task." in refused(rules)


def test_tasks_for_a_measure_no_rule_calls_for_are_refused():
    rules = policy.default_rules()
    del rules["measures"][0]
    assert "tasks.central_quarantine lists tasks for a measure no rule calls for." in refused(rules)


def test_task_entries_are_checked():
    rules = policy.default_rules()
    rules["tasks"]["home_quarantine"] = [
        {"task": "test", "within_hours": 2},
        {"task": "home_visit", "within_hours": 12, "every_day": True},
        {"task": "door_seal", "every_day": False},
        {"task": "daily_check", "within_hours": 0},
        {"task": "home_visit", "within_hours": 6},
        {"task": "home_visit", "within_hours": 8},
    ]
    messages = refused(rules)
    assert (
        "tasks.home_quarantine[0]: tests come from the measure's tests_on_days, not from "
        "the task list."
    ) in messages
    assert (
        "tasks.home_quarantine[1] must have either within_hours or every_day (one of them)."
    ) in messages
    assert (
        "tasks.home_quarantine[2].every_day must be true (use within_hours for a task due once)."
    ) in messages
    assert "tasks.home_quarantine[3].within_hours must be a whole number from 1 to 720." in messages
    assert "tasks.home_quarantine lists home_visit twice." in messages


def test_downgrade_days_must_be_at_least_one():
    rules = policy.default_rules()
    rules["downgrade"]["medium_to_low_days"] = 0
    assert "downgrade.medium_to_low_days must be a whole number from 1 to 365." in refused(rules)


def test_certification_rule_is_checked():
    rules = policy.default_rules()
    rules["certification"] = {
        "days_without_case": 0,
        "required_measures": ["screening", "prayer", "screening"],
        "higher_level_share": 1.5,
    }
    messages = refused(rules)
    assert "certification.days_without_case must be a whole number from 1 to 365." in messages
    assert any(m.startswith("certification.required_measures[1] must be one of:") for m in messages)
    assert "certification.required_measures lists screening twice." in messages
    assert (
        "certification.higher_level_share must be a number greater than 0 and at most 1."
    ) in messages


@pytest.mark.parametrize("share", [0, -0.5, "1", True])
def test_higher_level_share_must_lie_in_zero_to_one(share):
    rules = policy.default_rules()
    rules["certification"]["higher_level_share"] = share
    assert (
        "certification.higher_level_share must be a number greater than 0 and at most 1."
    ) in refused(rules)


def test_a_share_of_one_half_is_a_policy():
    rules = policy.default_rules()
    rules["certification"]["higher_level_share"] = 0.5
    assert parse(rules).certification.higher_level_share == 0.5


def test_messages_are_translatable():
    with translation.override("zh-hans"):
        messages = refused(rules_with(report_within_hours=0))
    assert len(messages) == 1 and "report_within_hours" in messages[0]
