"""Duplicate candidates (并单): open cases that look like the same problem at the same place.

For a case that may still be merged (received or registered), `find_candidates` returns the
open cases the viewer may see that were received within the time window, lie within the
radius (or, without a point, in the same community) and whose text is similar enough,
ranked by a combined score the page explains.

Two steps, so that the cost does not grow with the case table:

1. SQL narrows the field: the viewer's scope, open statuses, the time window, and a
   bounding box of ± the radius in degrees around the point (in each datum: a GCJ-02 point
   and a WGS-84 point of the same place differ by a few hundred metres), or the same
   community when the case has no point. At most MAX_CANDIDATES rows come back.
2. Python scores those rows: exact distance (haversine, after bringing both points into
   one datum) and text similarity — the cosine of sublinear-TF character 2–3-gram vectors
   of title (counted twice) and description. It is computed per pair, with no corpus
   statistics, so a pair scores the same whoever else is near; bench/duplicates.py
   measures it against hand-labelled message-board pairs and chose the default threshold.
"""

import math
import re
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from difflib import SequenceMatcher

from django.conf import settings
from django.db.models import Q
from django.utils.translation import gettext as _

from gridgov.cases.choices import OPEN_STATUSES, TRANSITIONS, Action
from gridgov.cases.models import Case
from gridgov.lib.datum import convert
from gridgov.regions.choices import Datum

EARTH_RADIUS_M = 6_371_008.8
METRES_PER_DEGREE_LAT = 111_320.0
_NOT_WORD = re.compile(r"[\W_]+")
# The gist of a complaint comes first; comparing only the start of long descriptions keeps
# the cost per candidate bounded and, on the labelled pairs, loses nothing.
DESCRIPTION_CHARS = 200

DEFAULTS = {
    "RADIUS_M": 500,
    "WINDOW_DAYS": 30,
    # Chosen on the tune half of bench/data/duplicate_pairs.csv (bench/duplicates.py).
    "MIN_SIMILARITY": 0.21,
    "MAX_CANDIDATES": 300,
    "SHOW": 5,
    "TEXT_WEIGHT": 0.7,
}


def config() -> dict:
    return {**DEFAULTS, **getattr(settings, "GRIDGOV_DUPLICATES", {})}


# --- text similarity ---------------------------------------------------------


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), lower case, letters and digits only."""
    return _NOT_WORD.sub("", unicodedata.normalize("NFKC", text or "").lower())


def text_vector(title: str, description: str) -> dict[str, float]:
    """Sublinear-TF weights (1 + ln tf) of character 2- and 3-grams of the title, counted
    twice (it is the gist), and the first DESCRIPTION_CHARS of the description."""
    title = normalise(title)
    text = title + title + normalise(description)[:DESCRIPTION_CHARS]
    counts = Counter(text[i : i + 2] for i in range(len(text) - 1))
    counts.update(text[i : i + 3] for i in range(len(text) - 2))
    weights = {gram: 1.0 + math.log(n) for gram, n in counts.items()}
    norm = math.sqrt(sum(w * w for w in weights.values()))
    return {gram: w / norm for gram, w in weights.items()} if norm else {}


def cosine(a: dict[str, float], b: dict[str, float]) -> float:
    """Cosine of two unit vectors from text_vector."""
    if len(a) > len(b):
        a, b = b, a
    return sum(w * b.get(gram, 0.0) for gram, w in a.items())


def similarity(title_a: str, description_a: str, title_b: str, description_b: str) -> float:
    return cosine(text_vector(title_a, description_a), text_vector(title_b, description_b))


def shared_phrases(a: str, b: str, limit: int = 3, min_length: int = 3) -> list[str]:
    """The longest runs of text two cases share: what the page shows as the reason."""
    a, b = normalise(a)[:400], normalise(b)[:400]
    blocks = SequenceMatcher(None, a, b, autojunk=False).get_matching_blocks()
    phrases = sorted(
        {a[m.a : m.a + m.size] for m in blocks if m.size >= min_length}, key=len, reverse=True
    )
    return phrases[:limit]


# --- place -------------------------------------------------------------------


def haversine_m(lng1: float, lat1: float, lng2: float, lat2: float) -> float:
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def _point_in(lng: float, lat: float, source: str, target: str) -> tuple[float, float]:
    if source == target:
        return lng, lat
    x, y = convert(lng, lat, source, target)
    return float(x), float(y)


def _box_q(case: Case, radius_m: float) -> Q:
    """Cases whose point lies in a box of ± radius around the case's point, in each datum."""
    d_lat = radius_m / METRES_PER_DEGREE_LAT
    query = Q()
    for datum in Datum.values:
        lng, lat = _point_in(case.lng, case.lat, case.datum, datum)
        d_lng = radius_m / (METRES_PER_DEGREE_LAT * max(math.cos(math.radians(lat)), 0.01))
        query |= Q(
            datum=datum,
            lng__gte=lng - d_lng,
            lng__lte=lng + d_lng,
            lat__gte=lat - d_lat,
            lat__lte=lat + d_lat,
        )
    return query


def _community_path(case: Case) -> str:
    community = case.region.responsible_community()
    return (community or case.region).path


# --- candidates --------------------------------------------------------------


@dataclass
class Candidate:
    case: Case
    similarity: float
    distance_m: float | None
    days_apart: float
    score: float
    phrases: list[str] = field(default_factory=list)

    @property
    def explanation(self) -> str:
        parts = [_("text %(percent)d%% alike") % {"percent": round(self.similarity * 100)}]
        if self.distance_m is None:
            parts.append(_("same community (no point on the map)"))
        else:
            parts.append(_("%(metres)d m away") % {"metres": round(self.distance_m)})
        parts.append(_("%(days).0f days apart") % {"days": self.days_apart})
        return " · ".join(parts)


def may_be_merged(case: Case) -> bool:
    return case.status in TRANSITIONS[Action.MERGE].sources


def candidate_queryset(case: Case, user, cfg: dict | None = None):
    """Step 1: the SQL filter. Scoped to what the viewer may see; newest first, capped."""
    cfg = cfg or config()
    window = timedelta(days=cfg["WINDOW_DAYS"])
    cases = (
        Case.objects.visible_to(user)
        .filter(
            status__in=OPEN_STATUSES,
            received_at__gte=case.received_at - window,
            received_at__lte=case.received_at + window,
        )
        .exclude(pk=case.pk)
    )
    community = _community_path(case)
    if case.lng is not None and case.lat is not None:
        # Cases with no point of their own can only be matched by community.
        place = _box_q(case, cfg["RADIUS_M"]) | Q(
            lng__isnull=True, region_path__startswith=community
        )
    else:
        place = Q(region_path__startswith=community)
    return (
        cases.filter(place)
        .select_related("region", "category")
        .only(
            "number",
            "title",
            "description",
            "status",
            "lng",
            "lat",
            "datum",
            "received_at",
            "region__name",
            "region__code",
            "category__name",
        )
        .order_by("-received_at", "-pk")[: cfg["MAX_CANDIDATES"]]
    )


def find_candidates(case: Case, user, cfg: dict | None = None) -> list[Candidate]:
    """Open cases that may be the same problem as `case`, best first (at most SHOW).

    score = TEXT_WEIGHT · similarity + (1 − TEXT_WEIGHT) · proximity, where proximity is
    1 at the same point falling to 0 at the radius, and 0.5 when either case has no point
    (same community is all that is known).
    """
    cfg = cfg or config()
    if not may_be_merged(case):
        return []
    radius = float(cfg["RADIUS_M"])
    weight = float(cfg["TEXT_WEIGHT"])
    mine = text_vector(case.title, case.description)
    has_point = case.lng is not None and case.lat is not None
    found = []
    for other in candidate_queryset(case, user, cfg):
        distance = None
        if has_point and other.lng is not None and other.lat is not None:
            lng, lat = _point_in(other.lng, other.lat, other.datum, case.datum)
            distance = haversine_m(case.lng, case.lat, lng, lat)
            if distance > radius:
                continue  # inside the box, outside the circle
        alike = cosine(mine, text_vector(other.title, other.description))
        if alike < cfg["MIN_SIMILARITY"]:
            continue
        proximity = 0.5 if distance is None else 1.0 - distance / radius
        found.append(
            Candidate(
                case=other,
                similarity=alike,
                distance_m=distance,
                days_apart=abs((case.received_at - other.received_at).total_seconds()) / 86400,
                score=weight * alike + (1 - weight) * proximity,
            )
        )
    found.sort(key=lambda c: (-c.score, -c.case.received_at.timestamp()))
    shown = found[: cfg["SHOW"]]
    for candidate in shown:
        candidate.phrases = shared_phrases(
            f"{case.title} {case.description}",
            f"{candidate.case.title} {candidate.case.description}",
        )
    return shown
