"""Phases of a daily series by order of magnitude: the bands, odd days, the checks on the input,
the CSV reader, the curve, and `gridgov emergency phases` on Wuhan's real 2020 series."""

import io
import xml.etree.ElementTree as ET
from datetime import date, timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from gridgov.emergency.phases import (
    Band,
    SeriesError,
    find_phases,
    phase_chart_svg,
    read_series,
    validate_series,
)

WUHAN = Path(__file__).parent / "data" / "wuhan_hubei_daily_2020.csv"


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


def daily(*values, start=date(2020, 1, 1)):
    return [(start + timedelta(days=n), value) for n, value in enumerate(values)]


def summary(phases):
    return [(p.label, p.start.isoformat(), p.end.isoformat(), p.days) for p in phases]


def csv_file(text):
    return io.StringIO(text, newline="")


def test_bands_count_digits_and_zero_is_tail():
    assert [Band.of(v) for v in (0, 9, 10, 99, 100, 999, 1000, 13436)] == [
        Band.TAIL, Band.TAIL, Band.LOW, Band.LOW, Band.MEDIUM, Band.MEDIUM, Band.HIGH, Band.HIGH,
    ]  # fmt: skip


def test_clean_bands_rise_and_fall_as_phases_in_time_order():
    values = (
        [0, 3, 5] + [20, 40, 60] + [200, 500] + [1200, 3000, 1800] + [400, 300] + [50, 20] + [4, 0]
    )
    assert summary(find_phases(daily(*values))) == [
        ("tail", "2020-01-01", "2020-01-03", 3),
        ("low", "2020-01-04", "2020-01-06", 3),
        ("medium", "2020-01-07", "2020-01-08", 2),
        ("high", "2020-01-09", "2020-01-11", 3),
        ("medium", "2020-01-12", "2020-01-13", 2),
        ("low", "2020-01-14", "2020-01-15", 2),
        ("tail", "2020-01-16", "2020-01-17", 2),
    ]


def test_a_phase_reports_its_peak_total_and_no_odd_days():
    high = find_phases(daily(500, 500, 1500, 2000, 2000, 1800, 600, 600))[1]
    assert (high.peak, high.peak_on, high.total, high.odd_days) == (
        2000, date(2020, 1, 4), 7300, (),
    )  # fmt: skip


def test_a_one_day_dip_does_not_split_a_high_phase_and_is_listed():
    phases = find_phases(daily(1500, 1400, 80, 1300, 1200))
    assert summary(phases) == [("high", "2020-01-01", "2020-01-05", 5)]
    assert phases[0].odd_days == ((date(2020, 1, 3), 80),)
    assert phases[0].peak == 1500


def test_a_one_day_jump_like_wuhans_clinical_diagnoses_does_not_split_a_medium_phase():
    phases = find_phases(daily(615, 319, 13436, 314, 541))
    assert summary(phases) == [("medium", "2020-01-01", "2020-01-05", 5)]
    # The peak is among the phase's own days; the jump is shown as an odd day.
    assert (phases[0].peak, phases[0].odd_days) == (615, ((date(2020, 1, 3), 13436),))


def test_an_odd_day_between_two_bands_joins_the_nearer_one():
    phases = find_phases(daily(2000, 1500, 5, 50, 40, 30))
    assert summary(phases) == [
        ("high", "2020-01-01", "2020-01-02", 2),
        ("low", "2020-01-03", "2020-01-06", 4),
    ]


def test_a_single_day_at_either_end_joins_its_only_neighbour():
    assert summary(find_phases(daily(900, 50, 40, 30, 4))) == [
        ("low", "2020-01-01", "2020-01-05", 5)
    ]


def test_sporadic_cases_among_zero_days_are_one_tail():
    phases = find_phases(daily(12, 11, 3, 0, 0, 1, 0, 0, 0, 326, 0, 0))
    assert summary(phases) == [
        ("low", "2020-01-01", "2020-01-02", 2),
        ("tail", "2020-01-03", "2020-01-12", 10),
    ]
    assert phases[1].odd_days == ((date(2020, 1, 10), 326),)


def test_min_run_one_keeps_every_run_and_three_absorbs_two_day_blips():
    values = (150, 160, 20, 30, 170, 180, 190)
    assert len(find_phases(daily(*values), min_run=1)) == 3
    assert len(find_phases(daily(*values), min_run=2)) == 3
    assert summary(find_phases(daily(*values), min_run=3)) == [
        ("medium", "2020-01-01", "2020-01-07", 7)
    ]
    assert len(find_phases(daily(1, 500, 3), min_run=1)) == 3


def test_hubeis_rising_side_climbs_through_every_band_over_its_odd_days():
    series = read_series(
        WUHAN, "date", "hubei_new_confirmed", start=date(2020, 1, 4), end=date(2020, 2, 5)
    )
    phases = find_phases(series)
    assert summary(phases) == [
        ("tail", "2020-01-04", "2020-01-16", 13),
        ("low", "2020-01-17", "2020-01-22", 6),
        ("medium", "2020-01-23", "2020-01-28", 6),
        ("high", "2020-01-29", "2020-02-05", 8),
    ]
    assert [p.odd_days for p in phases[1:3]] == [
        ((date(2020, 1, 21), 105),),
        ((date(2020, 1, 27), 1291),),
    ]


def test_input_order_does_not_matter():
    series = daily(20, 30, 300, 400)
    assert find_phases(reversed(series)) == find_phases(series)


@pytest.mark.parametrize(
    "series, message",
    [
        ([], "The series is empty"),
        (daily(5) + daily(7, start=date(2020, 1, 5)), "2020-01-02 … 2020-01-04 missing"),
        (daily(5, 6, 7) + daily(8, start=date(2020, 1, 2)), "2020-01-02 is given 2 times"),
        (daily(5, -3, 7), "2020-01-02 has -3 new cases; a day's new cases cannot be below 0"),
        (daily(5, 2.5), "2020-01-02: 2.5 is not a whole number"),
        (daily(5, True), "2020-01-02: True is not a whole number"),
        ([("2020-01-01", 5)], "'2020-01-01' is not a day"),
    ],
)
def test_bad_series_are_refused_with_what_to_fix(series, message):
    with pytest.raises(SeriesError, match=message.replace("(", r"\(")):
        find_phases(series)


def test_every_missing_stretch_is_named():
    series = daily(1, start=date(2020, 1, 19)) + daily(1, 2, start=date(2020, 1, 23))
    series += daily(3, start=date(2020, 1, 27))
    with pytest.raises(SeriesError) as raised:
        validate_series(series)
    assert str(raised.value).startswith("2020-01-20 … 2020-01-22, 2020-01-25 … 2020-01-26 missing")


def test_read_series_reads_bom_chinese_headers_and_the_usual_date_forms():
    text = "\ufeff日期,新增确诊\n2020/1/30,378\n2020-01-31,576.0\n2020年2月1日,894\n"
    series = read_series(csv_file(text.lstrip("\ufeff")), "日期", "新增确诊")
    assert series == daily(378, 576, 894, start=date(2020, 1, 30))


def test_read_series_falls_back_to_gb18030_as_excel_saves_it(tmp_path):
    path = tmp_path / "excel.csv"
    path.write_bytes("日期,新增\n2020-02-01,894\n2020-02-02,1033\n".encode("gb18030"))
    assert read_series(path, "日期", "新增") == daily(894, 1033, start=date(2020, 2, 1))


def test_an_unknown_column_lists_the_columns_there_are():
    with pytest.raises(SeriesError, match="no column “cases”; the columns are: “date”, “new”"):
        read_series(csv_file("date,new\n2020-01-01,1\n"), "date", "cases")


def test_bad_dates_and_counts_are_named_with_their_line_numbers():
    text = "date,new\n2020-01-01,1\n2020-13-02,2\n2020-01-03,many\n2020-01-04,-2\n"
    with pytest.raises(SeriesError) as raised:
        read_series(csv_file(text), "date", "new")
    assert str(raised.value).splitlines() == [
        "Line 3: “2020-13-02” is not a date; write it as YYYY-MM-DD.",
        "Line 4: “many” is not a whole number of cases.",
        "Line 5: 2020-01-04 has -2 new cases; a day's new cases cannot be below 0.",
    ]


def test_blank_values_are_named_as_missing_days_and_a_window_can_leave_them_out():
    text = "date,new\n2020-01-01,1\n2020-01-02,\n2020-01-03, \n2020-01-04,4\n2020-01-05,5\n"
    with pytest.raises(
        SeriesError,
        match=r"2020-01-02 … 2020-01-03 missing: no value in column “new” \(lines 3 … 4\)",
    ):
        read_series(csv_file(text), "date", "new")
    assert read_series(csv_file(text), "date", "new", start=date(2020, 1, 4)) == daily(
        4, 5, start=date(2020, 1, 4)
    )


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "The file is empty: it has no header line"),
        ("date,new\n", "The series is empty"),
        (
            "date,new\n2020-01-01,1\n2020-01-01,2\n",
            r"2020-01-01 is given more than once \(lines 2, 3\)",
        ),
        ("date,new\n2020-01-01,1\n2020-01-04,2\n", "2020-01-02 … 2020-01-03 missing: every day"),
    ],
)
def test_read_series_refuses_files_without_a_whole_series(text, message):
    with pytest.raises(SeriesError, match=message):
        read_series(csv_file(text), "date", "new")


def test_the_curve_is_well_formed_svg_with_the_band_lines_and_the_phases():
    series = daily(*([5] * 10 + [50] * 10 + [500] * 10 + [5000] * 10 + [500] * 10 + [1] * 10))
    svg = phase_chart_svg(series, find_phases(series))
    root = ET.fromstring(svg)
    texts = ["".join(node.itertext()) for node in root.iter("{http://www.w3.org/2000/svg}text")]
    for label in ("10", "100", "1,000", "tail", "low", "medium", "high", "2020-01-01"):
        assert label in texts
    titles = [node.text for node in root.iter("{http://www.w3.org/2000/svg}title")]
    assert "medium: 2020-02-10 … 2020-02-19, 10 days, peak 500 on 2020-02-10" in titles


def phases_command(*args):
    out = StringIO()
    call_command("emergency", "phases", *args, stdout=out)
    return out.getvalue()


WUHAN_ARGS = ("--input", str(WUHAN), "--date-column", "date")


def test_command_finds_wuhans_phases_and_draws_them(tmp_path):
    svg = tmp_path / "wuhan.svg"
    args = ("--value-column", "wuhan_new_confirmed_aligned", "--from", "2020-01-24")
    output = phases_command(*WUHAN_ARGS, *args, "--svg", str(svg))
    rows = [line.split()[:5] for line in output.splitlines()[1:7]]
    assert rows == [
        ["low", "2020-01-24", "2020-01-26", "3", "80"],
        ["medium", "2020-01-27", "2020-02-01", "6", "894"],
        ["high", "2020-02-02", "2020-02-18", "17", "13,436"],
        ["medium", "2020-02-19", "2020-03-05", "16", "615"],
        ["low", "2020-03-06", "2020-03-10", "5", "74"],
        ["tail", "2020-03-11", "2020-04-30", "51", "8"],
    ]
    # Wuhan's revision of 2020-04-16 is one odd day in the tail, not a phase of its own.
    assert "2020-04-16 (326)" in output.splitlines()[6]
    assert f"Curve written to {svg}." in output
    drawing = svg.read_text(encoding="utf-8")
    ET.fromstring(drawing)
    for label in ("high", "medium", "low", "tail"):
        assert f">{label}<" in drawing
    assert "high: 2020-02-02 … 2020-02-18, 17 days, peak 13,436 on 2020-02-12" in drawing


def test_command_refuses_the_published_file_whole_and_writes_nothing(tmp_path):
    svg = tmp_path / "wuhan.svg"
    with pytest.raises(CommandError) as raised:
        phases_command(
            *WUHAN_ARGS, "--value-column", "wuhan_new_confirmed_aligned", "--svg", str(svg)
        )
    message = str(raised.value)
    assert "2020-01-20 … 2020-01-23 missing" in message
    assert "Line 4: 2020-01-03 has -3 new cases" in message
    assert not svg.exists()


def test_command_refuses_a_file_with_a_gap_and_writes_no_svg(tmp_path):
    gap = tmp_path / "gap.csv"
    gap.write_text("day,cases\n2020-03-01,193\n2020-03-02,111\n2020-03-05,126\n", encoding="utf-8")
    svg = tmp_path / "gap.svg"
    with pytest.raises(CommandError, match="2020-03-03 … 2020-03-04 missing"):
        phases_command(
            "--input",
            str(gap),
            "--date-column",
            "day",
            "--value-column",
            "cases",
            "--svg",
            str(svg),
        )
    assert not svg.exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (("--value-column", "wuhan_new"), "no column “wuhan_new”; the columns are: “date”"),
        (
            ("--value-column", "hubei_new_confirmed", "--min-run", "0"),
            "--min-run must be 1 or more",
        ),
        (
            ("--value-column", "hubei_new_confirmed", "--from", "2020-02-30"),
            "--from 2020-02-30 is not a date",
        ),
    ],
)
def test_command_refuses_bad_options_with_a_clear_message(args, message):
    with pytest.raises(CommandError, match=message):
        phases_command(*WUHAN_ARGS, *args)


def test_command_says_when_the_file_cannot_be_opened(tmp_path):
    with pytest.raises(CommandError, match="Cannot read .*absent.csv: No such file"):
        phases_command(
            "--input", str(tmp_path / "absent.csv"), "--date-column", "d", "--value-column", "v"
        )
