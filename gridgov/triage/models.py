from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- classifier (text triage) ------------------------------------------------------------------


class TriageModelKind(models.TextChoices):
    # Trained on the first-level labels of the public message board (7 hotline subject classes).
    MESSAGES = "messages", _("first-level labels (message board)")
    # Trained on gridgov's own closed cases: final category and the unit actually chosen.
    CASES = "cases", _("categories and units (closed cases)")


class TriageModel(models.Model):
    """One trained classifier, stored as a joblib file under VAR_DIR/models/.

    At most one row per kind is active; the app loads the active one and reloads it when
    another version becomes active.
    """

    version = models.CharField(_("version"), max_length=40, unique=True)
    kind = models.CharField(_("kind"), max_length=12, choices=TriageModelKind.choices)
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    labels = models.JSONField(_("labels"), default=list, blank=True)
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    file_path = models.CharField(_("file"), max_length=500)
    is_active = models.BooleanField(_("active"), default=False)

    class Meta:
        verbose_name = _("triage model")
        verbose_name_plural = _("triage models")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind"],
                condition=Q(is_active=True),
                name="triage_one_active_model_per_kind",
            ),
        ]

    def __str__(self):
        return f"{self.version} ({self.get_kind_display()})"


class TriageCategorySetting(models.Model):
    """Per-category choice: may a confident suggestion dispatch a case by itself?

    A missing row, or auto_dispatch off, means every case of the category waits for a person.
    """

    category = models.OneToOneField(
        "cases.Category",
        verbose_name=_("category"),
        on_delete=models.CASCADE,
        related_name="triage_setting",
    )
    auto_dispatch = models.BooleanField(_("dispatch automatically"), default=False)
    threshold = models.FloatField(
        _("confidence threshold"),
        null=True,
        blank=True,
        help_text=_("0–1. Empty: the global default GRIDGOV_TRIAGE['THRESHOLD']."),
    )

    class Meta:
        verbose_name = _("triage setting for a category")
        verbose_name_plural = _("triage settings for categories")

    def __str__(self):
        return str(self.category)

    def clean(self):
        if self.threshold is not None and not 0 <= self.threshold <= 1:
            raise ValidationError({"threshold": _("Give a number between 0 and 1.")})


class TriageDecision(models.TextChoices):
    WAITING = "waiting", _("waits for a person (below the threshold)")
    NOT_ENABLED = "not_enabled", _("waits for a person (auto-dispatch off for the category)")
    AUTO_DISPATCHED = "auto", _("dispatched automatically")
    FAILED = "failed", _("auto-dispatch refused; waits for a person")


class TriageSuggestion(models.Model):
    """What the classifier suggested for a case at intake, and what was done with it.

    Kept so that suggestions can later be compared with the dispatcher's final choice.
    """

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.CASCADE,
        related_name="triage_suggestion",
    )
    model = models.ForeignKey(
        TriageModel,
        verbose_name=_("model"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="suggestions",
    )
    label = models.CharField(_("predicted label"), max_length=100)
    category = models.ForeignKey(
        "cases.Category",
        verbose_name=_("suggested category"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    unit = models.CharField(_("suggested unit"), max_length=100, blank=True)
    confidence = models.FloatField(_("confidence"))
    terms = models.JSONField(_("top terms"), default=list, blank=True)
    decision = models.CharField(
        _("decision"), max_length=12, choices=TriageDecision.choices, default=TriageDecision.WAITING
    )
    reason = models.CharField(_("why"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("suggested at"), default=timezone.now)

    class Meta:
        verbose_name = _("triage suggestion")
        verbose_name_plural = _("triage suggestions")

    def __str__(self):
        return f"{self.case_id}: {self.label} ({self.confidence:.2f})"


# --- end of classifier models --------------------------------------------------------------------


# --- hot spots: monthly topics turned into proactive tasks (gridgov/triage/hotspots.py) --------
# (Imported here to keep this block in one piece beside the classifier's models.)
from django.conf import settings  # noqa: E402


class ProactiveTask(models.Model):
    """A monthly topic (每月一题) — one category in one area — turned into a case of the
    proactive channel (未诉先办). One per topic per calendar month, so a second click (or a
    second leader) finds the first task instead of making another case."""

    case = models.OneToOneField(
        "cases.Case",
        verbose_name=_("case"),
        on_delete=models.PROTECT,
        related_name="proactive_task",
    )
    category = models.ForeignKey(
        "cases.Category", verbose_name=_("category"), on_delete=models.PROTECT, related_name="+"
    )
    region = models.ForeignKey(
        "regions.Region", verbose_name=_("area"), on_delete=models.PROTECT, related_name="+"
    )
    month = models.DateField(_("month"), help_text=_("The first day of the month."))
    case_count = models.PositiveIntegerField(_("cases in the period"))
    previous_count = models.PositiveIntegerField(_("cases in the period before"))
    grid_count = models.PositiveIntegerField(_("grids affected"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)

    class Meta:
        verbose_name = _("proactive task")
        verbose_name_plural = _("proactive tasks")
        ordering = ["-created_at"]
        constraints = [
            # The hot-spots page looks tasks up by (category, region, month) for its topics.
            models.UniqueConstraint(
                fields=["category", "region", "month"], name="proactive_task_once_per_month"
            ),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} {self.category_id}@{self.region_id} → {self.case_id}"


# --- end of hot-spot models ----------------------------------------------------------------------
