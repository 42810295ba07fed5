"""The multi-step commands of emergency mode: switching a region on and off, designating
risk areas and changing their level, and epidemic-free certification.

Each command checks the actor's right over the region, validates everything before it
writes, and writes in one transaction: PermissionDenied or ValidationError, and nothing
changed. Arrivals are in arrivals.py, the daily figures in figures.py.
"""

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.accounts.scoping import ALL, covers, scope_path
from gridgov.emergency import divisions, rules
from gridgov.emergency.choices import LEVEL_RANK, CertificationMeasure, RiskLevel
from gridgov.emergency.models import (
    LIVE_CERTIFICATION_STATES,
    Attestation,
    Certification,
    CertificationState,
    DailyFigure,
    EmergencyArea,
    PolicyVersion,
    RiskArea,
    RiskAreaChange,
)
from gridgov.regions.choices import Level
from gridgov.regions.codes import path_and_above
from gridgov.regions.models import Region

MANAGING_ROLES = {"leader", "administrator"}
CERTIFIABLE_LEVELS = (Level.GRID, Level.COMMUNITY, Level.STREET, Level.DISTRICT)


def _manages(user, region_path: str) -> bool:
    return (
        user.is_authenticated
        and (user.is_superuser or user.role in MANAGING_ROLES)
        and covers(user, region_path)
    )


def policy_in_force(day: date | None = None) -> PolicyVersion:
    version = PolicyVersion.in_force(day)
    if version is None:
        raise ValidationError(
            _("No policy version is in force: activate one in the administration first.")
        )
    return version


# --- the switch -------------------------------------------------------------------------


def may_switch(user, region: Region) -> bool:
    """A leader of the region or of a level above it, or an administrator."""
    return _manages(user, region.path)


def open_area_over(path: str) -> EmergencyArea | None:
    """The open emergency area that holds the region at `path`, the widest first."""
    return (
        EmergencyArea.objects.filter(closed_at__isnull=True, region_path__in=path_and_above(path))
        .select_related("region")
        .order_by("region_path")
        .first()
    )


def in_emergency(path: str) -> bool:
    return open_area_over(path) is not None


def open_areas_for(user):
    """The open emergency areas the user works in: those over their region or under it."""
    path = scope_path(user)
    areas = EmergencyArea.objects.filter(closed_at__isnull=True).select_related("region")
    if path is ALL:
        return areas
    if path is None:
        return areas.none()
    return areas.filter(Q(region_path__in=path_and_above(path)) | Q(region_path__startswith=path))


def switch_on(actor, region: Region, reason: str) -> EmergencyArea:
    if not may_switch(actor, region):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the region goes into emergency mode.")})
    with transaction.atomic():
        above = open_area_over(region.path)
        if above is not None:
            raise ValidationError(
                _("%(region)s is already in emergency mode, as part of %(area)s since %(since)s.")
                % {
                    "region": region.name,
                    "area": above.region.name,
                    "since": timezone.localtime(above.opened_at).strftime("%Y-%m-%d %H:%M"),
                }
            )
        return EmergencyArea.objects.create(region=region, reason=reason, opened_by=actor)


def switch_off(actor, area: EmergencyArea, reason: str) -> EmergencyArea:
    if not may_switch(actor, area.region):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the region returns to normal mode.")})
    with transaction.atomic():
        area = EmergencyArea.objects.select_for_update().get(pk=area.pk)
        if area.closed_at is not None:
            raise ValidationError(_("This region has already returned to normal mode."))
        area.closed_at = timezone.now()
        area.closed_by = actor
        area.close_reason = reason
        area.save()
    return area


# --- risk areas -------------------------------------------------------------------------


def may_manage_risk(user, region: Region | None) -> bool:
    """Risk areas of the city: who manages the region; outside the city: the whole city's
    leaders and administrators."""
    if region is None:
        return _city_leader(user) or (
            user.is_authenticated
            and (user.is_superuser or user.role == "administrator")
            and scope_path(user) is ALL
        )
    return _manages(user, region.path)


def _city_leader(user) -> bool:
    return (
        user.is_authenticated
        and user.role == "leader"
        and user.region_id is not None
        and user.region.level == Level.CITY
    )


@dataclass
class RiskAreaInput:
    level: str
    started_on: date
    reason: str
    region: Region | None = None
    division_code: str = ""
    detail: str = ""


def set_risk_area(actor, data: RiskAreaInput) -> RiskArea:
    """Designate a risk area: a region of the city or a place elsewhere by division code."""
    # Naming neither place is bad input (below), not a place outside the city.
    named = data.region is not None or bool(data.division_code)
    if named and not may_manage_risk(actor, data.region):
        raise PermissionDenied
    errors = {}
    if data.level not in (RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW):
        errors["level"] = _("Choose high, medium or low risk.")
    if not (data.reason or "").strip():
        errors["reason"] = _("Say why the area is designated.")
    if data.started_on is None:
        errors["started_on"] = _("Give the day the designation starts.")
    elif data.started_on > timezone.localdate():
        errors["started_on"] = _("A risk area cannot start in the future.")
    name = ""
    if data.region is not None and data.division_code:
        errors["division_code"] = _("Give a region of the city or a division code, not both.")
    elif data.region is not None:
        name = data.region.name
    elif data.division_code:
        try:
            name = divisions.lookup(data.division_code.strip()).full_name
        except divisions.UnknownDivision as error:
            errors["division_code"] = str(error)
    else:
        errors["region"] = _("Give a region of the city or a national division code.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        code = data.region.code if data.region else data.division_code.strip()
        clash = (
            RiskArea.objects.current()
            .filter(Q(region=data.region) if data.region else Q(division_code=code))
            .first()
        )
        if clash is not None:
            raise ValidationError(
                _("%(name)s is already a %(level)s area since %(since)s: change its level instead.")
                % {
                    "name": clash.name,
                    "level": clash.get_level_display(),
                    "since": clash.started_on.isoformat(),
                }
            )
        area = RiskArea.objects.create(
            level=data.level,
            region=data.region,
            division_code="" if data.region else code,
            name=name,
            detail=(data.detail or "").strip(),
            reason=data.reason.strip(),
            started_on=data.started_on,
            level_since=data.started_on,
            created_by=actor,
        )
        RiskAreaChange.objects.create(
            area=area,
            from_level="",
            to_level=data.level,
            on=data.started_on,
            reason=area.reason,
            policy_version=PolicyVersion.in_force(data.started_on),
            by=actor,
        )
    return area


def change_risk_level(actor, area: RiskArea, to_level: str, reason: str, on=None) -> RiskArea:
    """Raise, lower or lift ("" for to_level) a current risk area from the day `on`."""
    if not may_manage_risk(actor, area.region):
        raise PermissionDenied
    on = on or timezone.localdate()
    errors = {}
    if to_level not in ("", RiskLevel.HIGH, RiskLevel.MEDIUM, RiskLevel.LOW):
        errors["to_level"] = _("Choose high, medium or low risk, or lift the area.")
    if not (reason or "").strip():
        errors["reason"] = _("Say why the level changes.")
    if on > timezone.localdate():
        errors["on"] = _("A change cannot take effect in the future.")
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        area = RiskArea.objects.select_for_update().get(pk=area.pk)
        if not area.is_current(on):
            raise ValidationError(_("This area is no longer a risk area."))
        if to_level == area.level:
            raise ValidationError({"to_level": _("The area is already at this level.")})
        if on < area.level_since:
            raise ValidationError(
                {
                    "on": _("The area took its level on %(day)s: a change cannot come before it.")
                    % {"day": area.level_since.isoformat()}
                }
            )
        RiskAreaChange.objects.create(
            area=area,
            from_level=area.level,
            to_level=to_level,
            on=on,
            reason=reason.strip(),
            policy_version=PolicyVersion.in_force(on),
            by=actor,
        )
        if to_level:
            area.level = to_level
            area.level_since = on
        elif on == area.started_on:
            raise ValidationError({"on": _("An area cannot be lifted on the day it starts.")})
        else:
            area.ended_on = on
        area.save()
    return area


@dataclass
class Proposal:
    area: RiskArea
    to_level: str
    due_on: date
    explanation: str
    is_due: bool


def proposed_downgrades(areas, today: date | None = None) -> list[Proposal]:
    """For each current area, when the policy in force has it go a level down, with why;
    the ones already due first."""
    today = today or timezone.localdate()
    version = PolicyVersion.in_force(today)
    if version is None:
        return []
    proposals = []
    for area in areas:
        proposal = rules.downgrade_due(
            area.level, area.last_case_on, area.level_since, today, version.policy
        )
        if proposal is not None:
            proposals.append(
                Proposal(
                    area,
                    proposal.to_level,
                    proposal.due_on,
                    proposal.explanation,
                    proposal.due_on <= today,
                )
            )
    proposals.sort(key=lambda p: (not p.is_due, p.due_on, -LEVEL_RANK[p.area.level]))
    return proposals


def whole_risk_index() -> rules.RiskIndex:
    """Every risk area ever designated, with its history of levels, for deciding arrivals
    by the level on the day they left."""
    rows = []
    changes = RiskAreaChange.objects.order_by("area_id", "on", "at").values_list(
        "area_id", "to_level", "on"
    )
    areas = {
        row[0]: row[1:] for row in RiskArea.objects.values_list("pk", "code", "name", "ended_on")
    }
    spans: dict[int, list] = {}
    for area_id, level, on in changes:
        spans.setdefault(area_id, []).append((level, on))
    for area_id, steps in spans.items():
        code, name, ended_on = areas[area_id]
        for index, (level, on) in enumerate(steps):
            if not level:
                continue
            until = steps[index + 1][1] if index + 1 < len(steps) else ended_on
            if until is not None and until <= on:
                continue
            rows.append((code, level, on, until, name))
    return rules.RiskIndex.from_rows(rows)


def record_case_in_risk_areas(region: Region, day: date) -> int:
    """A new case in a region resets the downgrade count of the risk areas over it."""
    paths = path_and_above(region.path)
    return (
        RiskArea.objects.current(day)
        .filter(region_path__in=paths)
        .filter(Q(last_case_on__isnull=True) | Q(last_case_on__lt=day))
        .update(last_case_on=day)
    )


# --- epidemic-free certification --------------------------------------------------------


def _events(region: Region, today: date):
    """The last day with a new case or close contact in the area, up to today."""
    return (
        DailyFigure.objects.filter(region_path__startswith=region.path, day__lte=today)
        .filter(
            Q(confirmed__gt=0)
            | Q(suspected__gt=0)
            | Q(asymptomatic__gt=0)
            | Q(close_contacts__gt=0)
        )
        .aggregate(last=Max("day"))["last"]
    )


def may_apply(user, region: Region) -> bool:
    """Staff of the area (its community or street office, or a leader over it)."""
    return (
        user.is_authenticated
        and (
            user.is_superuser
            or user.role in {"community_staff", "street_staff", "leader", "administrator"}
        )
        and covers(user, region.path)
    )


def may_decide(user, certification: Certification) -> bool:
    """The level above decides: someone whose region is strictly above the area."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or user.role == "administrator":
        return True
    if user.role not in {"leader", "street_staff"} or not user.region_id:
        return False
    path = user.region.path
    return certification.region_path.startswith(path) and certification.region_path != path


def qualification(region: Region, today: date | None = None):
    """(window, policy version): whether the area has had the run of days the policy in
    force asks for, and why."""
    today = today or timezone.localdate()
    version = policy_in_force(today)
    return rules.certification_window(_events(region, today), today, version.policy), version


def apply_for_certification(actor, region: Region, attestations: dict) -> Certification:
    """attestations: {measure: (evidence text, photo file or None)} for each of the six."""
    if not may_apply(actor, region):
        raise PermissionDenied
    if region.level not in CERTIFIABLE_LEVELS:
        raise ValidationError(_("Only a compound, community, street or district is certified."))
    window, version = qualification(region)
    errors = []
    required = version.policy.certification.required_measures
    for measure in required:
        evidence, _photo = attestations.get(measure, ("", None))
        if not (evidence or "").strip():
            errors.append(
                _("Attest “%(measure)s” with what was done.")
                % {"measure": CertificationMeasure(measure).label}
            )
    if not window.qualifies:
        errors.insert(0, window.explanation)
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if Certification.objects.filter(
            region=region, state__in=LIVE_CERTIFICATION_STATES
        ).exists():
            raise ValidationError(_("This area already has an application or a certificate."))
        certification = Certification.objects.create(
            region=region,
            clear_since=window.clear_since,
            explanation=window.explanation,
            policy_version=version,
            applied_by=actor,
        )
        for measure in required:
            evidence, photo = attestations[measure]
            Attestation.objects.create(
                certification=certification,
                measure=measure,
                attested_by=actor,
                evidence=evidence.strip(),
                photo=photo or "",
            )
    return certification


def decide_certification(actor, certification: Certification, approve: bool, note: str):
    if not may_decide(actor, certification):
        raise PermissionDenied
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError({"note": _("Say why the application is refused.")})
    with transaction.atomic():
        certification = Certification.objects.select_for_update().get(pk=certification.pk)
        if certification.state != CertificationState.APPLIED:
            raise ValidationError(_("This application has already been decided."))
        if approve:
            window, _version = qualification(certification.region)
            if not window.qualifies:
                raise ValidationError(window.explanation)
            certification.explanation = window.explanation
        certification.state = (
            CertificationState.CERTIFIED if approve else CertificationState.REFUSED
        )
        certification.decided_by = actor
        certification.decided_at = timezone.now()
        certification.decision_note = note
        certification.save()
    return certification


def revoke_certification(actor, certification: Certification, reason: str):
    if not may_decide(actor, certification):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the certificate is revoked.")})
    with transaction.atomic():
        certification = Certification.objects.select_for_update().get(pk=certification.pk)
        if certification.state != CertificationState.CERTIFIED:
            raise ValidationError(_("Only a certificate in force can be revoked."))
        certification.state = CertificationState.REVOKED
        certification.ended_at = timezone.now()
        certification.ended_reason = reason
        certification.save()
    return certification


def suspend_certifications_over(region: Region, day: date, reason: str) -> int:
    """A new case or close contact recorded in an area suspends at once every live
    certification of the areas that hold it (and of the areas under it)."""
    paths = path_and_above(region.path)
    return Certification.objects.filter(
        Q(region_path__in=paths) | Q(region_path__startswith=region.path),
        state__in=LIVE_CERTIFICATION_STATES,
    ).update(
        state=CertificationState.SUSPENDED,
        ended_at=timezone.now(),
        ended_reason=reason,
    )
