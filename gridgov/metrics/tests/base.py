"""Builders that take cases round the loop at chosen moments, so every figure is exact."""

from datetime import timedelta

from gridgov.cases.models import Case
from gridgov.cases.tests.base import CaseTestCase, at

# The period most tests measure, and a `now` after every deadline of a March case.
MARCH = (at(2026, 3, 1), at(2026, 4, 1))
LATER = at(2026, 5, 1)
# A Monday morning in March: every step below is timed from here.
MONDAY = at(2026, 3, 2, 9)
OTHER_DISTRICT_POINT = {"lng": 120.205, "lat": 30.205}
NEIGHBOUR_POINT = {"lng": 120.125, "lat": 30.205}


class MetricsTestCase(CaseTestCase):
    def new_case(self, received=MONDAY, *, dispatch=True, category=None, actor=None, **fields):
        """Received, registered and (unless dispatch=False) dispatched at `received`."""
        actor = actor or self.dispatcher
        case = self.intake(at=received, **fields)
        case = self.act(
            actor, case, "register", at=received, category=(category or self.litter).code
        )
        if dispatch:
            case = self.act(actor, case, "dispatch", at=received)
        return case

    def accept(self, case, when, handler=None) -> Case:
        return self.act(handler or self.handler, case, "accept", at=when)

    def reply(self, case, accepted, replied, handler=None) -> Case:
        handler = handler or self.handler
        self.accept(case, accepted, handler)
        self.act(handler, case, "handle", at=accepted)
        return self.act(handler, case, "reply", at=replied, result="已处理")

    def close(self, case, when) -> Case:
        self.act(self.grid_worker, case, "verify", at=when)
        return self.act(self.dispatcher, case, "close", at=when)

    def rate(self, case, when, solved, satisfaction) -> Case:
        return self.act(
            self.dispatcher,
            case,
            "rate",
            at=when,
            solved="true" if solved else "false",
            satisfaction=satisfaction,
        )

    def closed_case(self, received=MONDAY, closed=None, **fields) -> Case:
        """Accepted after an hour, replied after two, closed at `closed` (default: 3 h)."""
        case = self.new_case(received, **fields)
        self.reply(case, received + timedelta(hours=1), received + timedelta(hours=2))
        return self.close(case, closed or received + timedelta(hours=3))

    def rated_case(self, solved, satisfaction, received=MONDAY) -> Case:
        case = self.closed_case(received)
        return self.rate(case, received + timedelta(hours=4), solved, satisfaction)
