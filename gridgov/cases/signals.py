"""Signals the cases app sends."""

from django.dispatch import Signal

# Sent inside the intake transaction once new cases are written, with `cases`: the list of
# them (one for a single intake, many for a batch). Receivers that write join that
# transaction: their rows exist exactly when the cases do.
cases_received = Signal()
