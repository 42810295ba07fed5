"""Suggestions for a case from its text: category, responsible unit, confidence, and why.

The active model of each kind is loaded once per process and reloaded when another version
becomes active (each suggestion asks the database which version is active: one query).
A cases model (learned from gridgov's own closed cases) is preferred; until one is trained,
a messages model predicts the hotline subject class and the class's default leaf is used.

Intake queues a task for `gridgov worker` (on the cases_received signal), which gives every
new case a TriageSuggestion.
Below the confidence threshold it waits for a person; above it, a category whose
TriageCategorySetting allows it is registered and dispatched by the triage account.
"""

import copy
import logging
import threading
from dataclasses import dataclass, field
from functools import partial

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils.translation import gettext as _

from gridgov.triage.models import (
    TriageCategorySetting,
    TriageDecision,
    TriageModel,
    TriageModelKind,
    TriageSuggestion,
)

log = logging.getLogger(__name__)

DEFAULTS = {
    "THRESHOLD": 0.8,
    "AUTO_DISPATCH": True,
    "ON_INTAKE": True,
    "TOP_TERMS": 5,
    "ACTOR": "triage",
    # Hotline subject class → the leaf a messages model's prediction lands on; a class not
    # named here uses its first active leaf by code.
    "DEFAULT_LEAVES": {},
}
# A cases model knows categories and units; a messages model only the subject class.
PREFERENCE = [TriageModelKind.CASES, TriageModelKind.MESSAGES]


def triage_settings() -> dict:
    return {**DEFAULTS, **getattr(settings, "GRIDGOV_TRIAGE", {})}


class ModelUnavailable(Exception):
    """No usable model: none trained, or its file is missing or unreadable."""


# --- predicting and explaining ------------------------------------------------------------------


@dataclass
class Prediction:
    label: str
    confidence: float
    terms: list[tuple[str, float]] = field(default_factory=list)


def _coefficients(model):
    """(classes × features) weights of the linear model, averaged over calibration folds."""
    import numpy as np

    if hasattr(model, "calibrated_classifiers_"):
        coef = np.mean([c.estimator.coef_ for c in model.calibrated_classifiers_], axis=0)
    else:
        coef = model.coef_
    if coef.shape[0] == 1:  # two classes: one row of weights for the second class
        coef = np.vstack([-coef[0], coef[0]])
    return coef


class Head:
    """One fitted pipeline (prepare → features → model) and what explaining it needs."""

    def __init__(self, pipeline):
        self.pipeline = pipeline
        self.classes = [str(c) for c in pipeline.classes_]
        self._terms = None
        self._coef = None

    def _explainer(self):
        if self._coef is None:
            names = self.pipeline.named_steps["features"].get_feature_names_out()
            # "words__学校" and "chars__学校" are one term to a reader.
            self._terms = [name.split("__", 1)[-1] for name in names]
            self._coef = _coefficients(self.pipeline.named_steps["model"])
        return self._terms, self._coef

    def _features(self, texts):
        """What pipeline[:-1].transform gives, without FeatureUnion's joblib round trip,
        which costs more than the arithmetic for a single case."""
        from scipy import sparse

        prepared = self.pipeline.named_steps["prepare"].transform(texts)
        union = self.pipeline.named_steps["features"]
        blocks = [transformer.transform(prepared) for _name, transformer in union.transformer_list]
        return sparse.hstack(blocks).tocsr()

    def predict(self, texts: list[str], *, explain: bool = False, top: int = 5):
        import sklearn

        # Our own features are finite and the parameters were checked when fitting.
        with sklearn.config_context(assume_finite=True, skip_parameter_validation=True):
            features = self._features(texts)
            probabilities = self.pipeline[-1].predict_proba(features)
        best = probabilities.argmax(axis=1)
        predictions = []
        for row, k in enumerate(best):
            prediction = Prediction(self.classes[k], float(probabilities[row, k]))
            if explain:
                prediction.terms = self._top_terms(features[row], k, top)
            predictions.append(prediction)
        return predictions

    def _top_terms(self, row, k, top):
        """The terms that pushed hardest toward class k: coefficient × tf-idf, summed over
        a term's word and character n-gram features."""
        terms, coef = self._explainer()
        weights: dict[str, float] = {}
        for index, value in zip(row.indices, row.data, strict=True):
            term = terms[index].strip()
            if term:
                weights[term] = weights.get(term, 0.0) + float(value * coef[k, index])
        ranked = sorted(weights.items(), key=lambda item: item[1], reverse=True)
        return [(term, round(weight, 4)) for term, weight in ranked[:top] if weight > 0]


class LoadedModel:
    def __init__(self, row: TriageModel, payload: dict):
        self.row = row
        self.version = row.version
        self.kind = row.kind
        self.category = Head(payload["category"])
        self.unit = Head(payload["unit"]) if payload.get("unit") is not None else None


_cache: dict[str, LoadedModel] = {}
_cache_lock = threading.Lock()


def load(row: TriageModel) -> LoadedModel:
    """The model of a TriageModel row, from this process's cache or its file."""
    cached = _cache.get(row.version)
    if cached is not None:
        return cached
    with _cache_lock:
        cached = _cache.get(row.version)
        if cached is not None:
            return cached
        import joblib

        from gridgov.triage.training import FORMAT

        try:
            payload = joblib.load(row.file_path)
        except FileNotFoundError:
            raise ModelUnavailable(
                _("The file of triage model %(version)s is missing: %(path)s")
                % {"version": row.version, "path": row.file_path}
            ) from None
        except Exception as exc:  # unpickling fails in many ways (versions, truncation)
            raise ModelUnavailable(
                _("Triage model %(version)s could not be read (%(error)s); train a new one.")
                % {"version": row.version, "error": exc}
            ) from None
        if not isinstance(payload, dict) or payload.get("format") != FORMAT:
            raise ModelUnavailable(
                _("Triage model %(version)s has an unknown format; train a new one.")
                % {"version": row.version}
            )
        model = LoadedModel(row, payload)
        # Keep one version per kind: an older one is never asked for again.
        for version, other in list(_cache.items()):
            if other.kind == row.kind:
                del _cache[version]
        _cache[row.version] = model
        return model


def active_model(kinds=None) -> LoadedModel | None:
    """The active model of the first kind that has a usable one; None if none has."""
    kinds = list(kinds or PREFERENCE)
    rows = {row.kind: row for row in TriageModel.objects.filter(is_active=True, kind__in=kinds)}
    for kind in kinds:
        if kind in rows:
            try:
                return load(rows[kind])
            except ModelUnavailable as exc:
                log.warning("%s", exc)
    return None


def forget_loaded_models() -> None:
    _cache.clear()


# --- suggestions for a case ---------------------------------------------------------------------


@dataclass
class CaseSuggestion:
    model: TriageModel
    label: str
    confidence: float
    terms: list[tuple[str, float]]
    category: object = None  # cases.Category, or None when the label has no catalogue node
    unit_name: str = ""
    unit_explanation: str = ""
    departments: list[str] = field(default_factory=list)  # codes, for the dispatch form
    office: str | None = None
    learned_unit: bool = False

    @property
    def term_names(self) -> list[str]:
        return [term for term, _weight in self.terms]


def _first_leaf(category):
    from gridgov.cases.models import Category

    node, seen = category, set()
    while node is not None and node.pk not in seen:
        seen.add(node.pk)
        child = Category.objects.filter(parent=node, is_active=True).order_by("code").first()
        if child is None:
            return node
        node = child
    return node


def category_for_label(kind: str, label: str, case=None):
    """The catalogue leaf a predicted label stands for, or None."""
    from gridgov.cases.models import Category
    from gridgov.triage.training import LABEL_CLASSES

    if kind == TriageModelKind.CASES:
        return Category.objects.filter(code=label, is_active=True).first()
    top_code = LABEL_CLASSES.get(label)
    if top_code is None:
        return None
    if case is not None and case.category_id:
        # A leaf chosen at intake inside the predicted class is better than the default.
        if top_code in [c.code for c in case.category.lineage()]:
            return case.category
    leaf_code = triage_settings()["DEFAULT_LEAVES"].get(top_code)
    if leaf_code:
        leaf = Category.objects.filter(code=leaf_code, is_active=True).first()
        if leaf is not None:
            return leaf
    top = Category.objects.filter(code=top_code, is_active=True).first()
    return _first_leaf(top) if top is not None else None


def _ancestor_at(case, level):
    if case.region.level == level:
        return case.region
    return case.region.ancestors().filter(level=level).first()


def resolve_unit(label: str, case):
    """A learned unit label (department:城管, office:street) as this case's concrete unit:
    (department, office), one of them None; (None, None) when it has none here."""
    from gridgov.accounts.models import Department

    kind, _sep, value = label.partition(":")
    if kind == "office":
        return None, _ancestor_at(case, value)
    if kind == "department":
        district = _ancestor_at(case, "district")
        departments = Department.objects.filter(is_active=True)
        found = departments.filter(short_name=value, region=district).first() if district else None
        return found or departments.filter(code=value).first(), None
    return None, None


def suggest(case, model: LoadedModel | None = None) -> CaseSuggestion | None:
    """The suggestion for a case, or None when no model is available. Reads only."""
    from gridgov.cases import routing
    from gridgov.triage.text import case_text

    model = model or active_model()
    if model is None:
        return None
    text = case_text(case.title, case.description)
    top = triage_settings()["TOP_TERMS"]
    prediction = model.category.predict([text], explain=True, top=top)[0]
    suggestion = CaseSuggestion(
        model=model.row,
        label=prediction.label,
        confidence=prediction.confidence,
        terms=prediction.terms,
        category=category_for_label(model.kind, prediction.label, case),
    )
    if suggestion.category is None or not case.region_id:
        return suggestion
    probe = copy.copy(case)  # Model.__getstate__ copies the related-object cache too
    probe.category = suggestion.category
    route = routing.suggest_unit(probe)
    department, office = route.department, route.office
    suggestion.unit_explanation = route.explanation
    if model.unit is not None:
        learned = model.unit.predict([text])[0]
        if learned.confidence >= threshold_for(category_setting(suggestion.category)):
            learned_department, learned_office = resolve_unit(learned.label, case)
            if (learned_department or learned_office) and (learned_department, learned_office) != (
                department,
                office,
            ):
                department, office = learned_department, learned_office
                suggestion.learned_unit = True
                suggestion.unit_explanation = _(
                    "Learned from past dispatches (%(confidence).0f%%) over the rules: %(rule)s"
                ) % {"confidence": learned.confidence * 100, "rule": route.explanation}
    suggestion.departments = [department.code] if department else []
    suggestion.office = office.code if office and not department else None
    suggestion.unit_name = department.name if department else (office.name if office else "")
    return suggestion


# --- deciding: wait for a person, or dispatch ---------------------------------------------------


def category_setting(category) -> TriageCategorySetting | None:
    """The setting of the category or of its nearest ancestor that has one."""
    if category is None:
        return None
    chain = category.lineage()
    found = {s.category_id: s for s in TriageCategorySetting.objects.filter(category__in=chain)}
    for node in chain:
        if node.pk in found:
            return found[node.pk]
    return None


def threshold_for(setting: TriageCategorySetting | None) -> float:
    if setting is not None and setting.threshold is not None:
        return setting.threshold
    return float(triage_settings()["THRESHOLD"])


def decide(case, suggestion: CaseSuggestion) -> tuple[str, str]:
    """(TriageDecision, why) for a case that has a suggestion."""
    from gridgov.cases.choices import Channel, Status

    if suggestion.category is None:
        return TriageDecision.WAITING, _(
            "The label %(label)s has no category in the catalogue."
        ) % {"label": suggestion.label}
    setting = category_setting(suggestion.category)
    threshold = threshold_for(setting)
    if suggestion.confidence < threshold:
        return TriageDecision.WAITING, _(
            "Confidence %(confidence).2f is below the threshold %(threshold).2f."
        ) % {"confidence": suggestion.confidence, "threshold": threshold}
    if not triage_settings()["AUTO_DISPATCH"] or setting is None or not setting.auto_dispatch:
        return TriageDecision.NOT_ENABLED, _("Automatic dispatch is off for %(category)s.") % {
            "category": suggestion.category.name
        }
    if case.status != Status.RECEIVED or case.channel == Channel.PROACTIVE:
        # A proactive task (未诉先办) is filed by a leader who registers it themselves.
        return TriageDecision.WAITING, _("A person has already taken the case up.")
    if case.category_id and case.category_id != suggestion.category.pk:
        return TriageDecision.WAITING, _(
            "The category given at intake differs from the suggestion."
        )
    return TriageDecision.AUTO_DISPATCHED, _(
        "Confidence %(confidence).2f reaches the threshold %(threshold).2f."
    ) % {"confidence": suggestion.confidence, "threshold": threshold}


def triage_actor():
    """The account that automatic registrations and dispatches are recorded under.

    Created on first use with no usable password, so nobody can sign in as it."""
    from django.contrib.auth import get_user_model

    from gridgov.accounts.choices import Role

    user, created = get_user_model().objects.get_or_create(
        username=triage_settings()["ACTOR"],
        defaults={"role": Role.ADMINISTRATOR, "display_name": "自动分拨"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    return user


def auto_dispatch(case, suggestion: CaseSuggestion) -> None:
    """Register the case under the suggested category and dispatch it, all or nothing."""
    from gridgov.cases import services
    from gridgov.cases.choices import Action

    actor = triage_actor()
    note = _("Triage model %(version)s: %(label)s, confidence %(confidence).2f") % {
        "version": suggestion.model.version,
        "label": suggestion.label,
        "confidence": suggestion.confidence,
    }
    dispatch = {"note": note}
    if suggestion.learned_unit:
        if suggestion.departments:
            dispatch["departments"] = suggestion.departments
        elif suggestion.office:
            dispatch["office"] = suggestion.office
    with transaction.atomic():
        services.perform(
            actor,
            case.number,
            Action.REGISTER,
            {"category": suggestion.category.code, "note": note},
        )
        services.perform(actor, case.number, Action.DISPATCH, dispatch)


def triage_case(case_id: int, *, model: LoadedModel | None = None) -> TriageSuggestion | None:
    """Suggest for one case, record it, and dispatch it when its category allows.

    Idempotent: a case that already has a suggestion is left as it is. Returns the record,
    or None when there is no model or no such case."""
    from gridgov.cases.models import Case
    from gridgov.cases.services import CaseError

    # No model is the common case before anyone trains one: one query, then nothing.
    model = model or active_model()
    if model is None:
        return None
    existing = TriageSuggestion.objects.filter(case_id=case_id).first()
    if existing is not None:
        return existing
    case = Case.objects.select_related("category", "region").filter(pk=case_id).first()
    if case is None:
        return None
    suggestion = suggest(case, model)
    decision, reason = decide(case, suggestion)
    if decision == TriageDecision.AUTO_DISPATCHED:
        try:
            auto_dispatch(case, suggestion)
        except (CaseError, Http404) as exc:
            decision, reason = TriageDecision.FAILED, str(exc) or exc.__class__.__name__
            log.warning("Triage could not dispatch case %s: %s", case.number, reason)
    record, _created = TriageSuggestion.objects.get_or_create(
        case=case,
        defaults={
            "model": suggestion.model,
            "label": suggestion.label[:100],
            "category": suggestion.category,
            "unit": suggestion.unit_name[:100],
            "confidence": suggestion.confidence,
            "terms": [term for term, _weight in suggestion.terms],
            "decision": decision,
            "reason": reason[:300],
        },
    )
    return record


# --- the intake hook ----------------------------------------------------------------------------


def _queue_triage(case_ids: list[int]) -> None:
    from django_tasks_db import DatabaseBackend

    from gridgov.triage.tasks import triage_cases_task

    if isinstance(triage_cases_task.get_backend(), DatabaseBackend):
        # Inside the intake's transaction: the task row exists exactly when the cases do,
        # and costs one INSERT rather than a commit of its own.
        triage_cases_task.enqueue(case_ids)
    else:
        # A backend outside the database (or one that runs at once) must see the cases.
        transaction.on_commit(partial(triage_cases_task.enqueue, case_ids))


def _on_cases_received(sender, cases, **kwargs):
    if triage_settings()["ON_INTAKE"]:
        _queue_triage([case.pk for case in cases])


def connect_intake_hook() -> None:
    from gridgov.cases.signals import cases_received

    cases_received.connect(_on_cases_received, dispatch_uid="gridgov.triage.intake")
