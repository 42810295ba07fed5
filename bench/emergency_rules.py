"""Benchmark the arrival rules engine: decisions per second on one core, explanations
rendered in Chinese.

    python bench/emergency_rules.py [--arrivals 200000] [--areas 3000] [--seed 1]

No database: a RiskIndex of risk areas (counties, towns, a few prefectures and
provinces, at random levels and dates over three months of 2022) is built in memory, and
random arrivals are decided under the default policy, as report_many() does for a
spreadsheet. Half of the arrivals come from a place some area covers, half from
anywhere; about one in five is reported late. zh-hans is active, so every explanation
goes through the translation catalogue as on a real request.

bench/emergency.py calls run(); the goal is 10,000 arrivals/s.
"""

import argparse
import os
import random
import sys
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

SHANGHAI = ZoneInfo("Asia/Shanghai")
FIRST_DAY = date(2022, 3, 1)
SPAN_DAYS = 90
GOAL_PER_SECOND = 10_000


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gridgov.settings")
    os.environ.setdefault("SECRET_KEY", "bench")
    import django

    django.setup()


def _county(rng: random.Random) -> str:
    return f"{rng.randint(11, 65):02d}{rng.randint(1, 20):02d}{rng.randint(1, 30):02d}"


def build_areas(count: int, rng: random.Random) -> list[tuple]:
    """Rows for RiskIndex: two thirds counties, a third towns, a few wider areas."""
    rows = []
    levels = ("high", "medium", "low")
    for number in range(count):
        county = _county(rng)
        if number % 100 == 0:
            code = county[:2] + "0000" if number % 200 == 0 else county[:4] + "00"
        elif number % 3 == 2:
            code = f"{county}{rng.randint(1, 30):03d}"
        else:
            code = county
        started_on = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
        ended_on = started_on + timedelta(days=rng.randint(7, 30)) if rng.random() < 0.6 else None
        level = rng.choices(levels, weights=(1, 3, 6))[0]
        rows.append((code, level, started_on, ended_on, f"风险区{number}"))
    return rows


def build_arrivals(count: int, rows: list[tuple], rng: random.Random):
    """Half from a place under some area while it was in force (these get measures),
    half from anywhere on any day (mostly no risk area)."""
    from gridgov.emergency.rules import ArrivalFacts

    facts = []
    for _number in range(count):
        if rng.random() < 0.5:
            code, _level, started_on, ended_on, _label = rng.choice(rows)
            if code.endswith("0000"):  # a province: somewhere in it
                origin = code[:2] + _county(rng)[2:]
            elif code.endswith("00"):  # a prefecture
                origin = code[:4] + _county(rng)[4:]
            else:
                origin = code
            last = (ended_on or FIRST_DAY + timedelta(days=SPAN_DAYS)) - started_on
            left_on = started_on + timedelta(days=rng.randrange(max(last.days, 1)))
        else:
            origin = _county(rng)
            left_on = FIRST_DAY + timedelta(days=rng.randrange(SPAN_DAYS))
        if len(origin) == 6 and rng.random() < 0.5:
            origin += f"{rng.randint(1, 30):03d}"
        arrived_at = datetime.combine(
            left_on + timedelta(days=rng.randint(0, 9)), datetime.min.time(), SHANGHAI
        ) + timedelta(minutes=rng.randrange(24 * 60))
        # About one report in five comes after the 12 hours allowed.
        window = 15 * 60 if rng.random() < 0.8 else 72 * 60
        reported_at = arrived_at + timedelta(minutes=rng.randrange(window))
        facts.append(ArrivalFacts(origin, f"某地{origin}", left_on, arrived_at, reported_at))
    return facts


def run(arrivals: int = 200_000, areas: int = 3000, seed: int = 1, language: str = "zh-hans"):
    """Decide `arrivals` random arrivals; the figures as a dict."""
    _setup_django()
    from django.utils import translation

    from gridgov.emergency import policy
    from gridgov.emergency.rules import Engine, RiskIndex

    rng = random.Random(seed)
    rows = build_areas(areas, rng)
    facts = build_arrivals(arrivals, rows, rng)
    with translation.override(language):
        started = time.perf_counter()
        index = RiskIndex.from_rows(rows)
        built = time.perf_counter() - started
        engine = Engine(policy.parse(policy.default_rules()), "2022年第九版防控方案", index)
        decide = engine.decide
        levels, measures, tasks, late, characters = Counter(), Counter(), 0, 0, 0
        started = time.perf_counter()
        for item in facts:
            decision = decide(item)
            # Touch what a caller saves, so nothing is left unrendered or unused.
            levels[decision.risk_level] += 1
            late += decision.late
            characters += len(decision.explanation)
            for plan in decision.measures:
                measures[plan.kind] += 1
                tasks += len(plan.tasks)
        elapsed = time.perf_counter() - started
        sample = next(
            (decide(f).explanation for f in facts if decide(f).late and decide(f).measures), ""
        )
    return {
        "arrivals": arrivals,
        "areas": len(index),
        "index_build_ms": built * 1000,
        "seconds": elapsed,
        "per_second": arrivals / elapsed,
        "microseconds_each": elapsed / arrivals * 1e6,
        "levels": dict(levels),
        "measures": dict(measures),
        "tasks": tasks,
        "late": late,
        "explanation_characters": characters,
        "sample": sample,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--arrivals", type=int, default=200_000)
    parser.add_argument("--areas", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--language", default="zh-hans")
    args = parser.parse_args()
    figures = run(args.arrivals, args.areas, args.seed, args.language)
    built = figures["index_build_ms"]
    print(f"risk areas        {figures['areas']:,} (index built in {built:.1f} ms)")
    print(f"arrivals          {figures['arrivals']:,} in {figures['seconds']:.2f} s")
    print(
        f"throughput        {figures['per_second']:,.0f} arrivals/s "
        f"({figures['microseconds_each']:.1f} µs each; goal {GOAL_PER_SECOND:,}/s)"
    )
    print(f"origin levels     {figures['levels']}")
    print(f"measures          {figures['measures']}")
    print(f"tasks             {figures['tasks']:,}; late reports {figures['late']:,}")
    print(f"sample            {figures['sample']}")
    try:
        print(f"load average      {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    except OSError:
        pass
    return 0 if figures["per_second"] >= GOAL_PER_SECOND else 1


if __name__ == "__main__":
    sys.exit(main())
