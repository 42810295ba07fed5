"""Which unit a case goes to, and why (dispatch is explainable).

1. The most specific active DispatchRule whose region contains the case and whose category
   is the case's category or one of its ancestors (or any category): the deepest region
   first, then the nearest category, then the lowest priority number.
2. The catalogue's default department for the category, in the case's district.
3. The district government (兜底) when nothing else names a unit.
"""

from dataclasses import dataclass

from django.db.models.functions import Length
from django.utils.translation import gettext as _

from gridgov.accounts.models import Department
from gridgov.cases.choices import Owner
from gridgov.cases.models import Case, DispatchRule
from gridgov.regions.choices import Level, level_depth
from gridgov.regions.models import Region


@dataclass(frozen=True)
class Suggestion:
    department: Department | None
    office: Region | None
    rule: DispatchRule | None
    explanation: str

    @property
    def unit_name(self) -> str:
        return self.department.name if self.department else self.office.name


def _ancestor_at(case: Case, level: str) -> Region | None:
    if case.region.level == level:
        return case.region
    return case.region.ancestors().filter(level=level).first()


def _rule_rank(rule: DispatchRule, category_chain_ids: list[int]) -> tuple:
    category_distance = (
        category_chain_ids.index(rule.category_id)
        if rule.category_id in category_chain_ids
        else len(category_chain_ids)
    )
    return (-level_depth(rule.region.level), category_distance, rule.priority, rule.pk)


def suggest_unit(case: Case) -> Suggestion:
    chain = case.category.lineage() if case.category_id else []
    chain_ids = [category.pk for category in chain]
    prefixes = _path_prefixes(case.region_path)
    rules = [
        rule
        for rule in DispatchRule.objects.filter(
            is_active=True, region__path__in=prefixes
        ).select_related("region", "department", "category")
        if rule.category_id is None or rule.category_id in chain_ids
    ]
    if rules:
        rule = min(rules, key=lambda r: _rule_rank(r, chain_ids))
        if rule.department_id:
            department, office = rule.department, None
        else:
            department, office = None, _ancestor_at(case, rule.office_level)
        if department or office:
            return Suggestion(
                department,
                office,
                rule,
                _("Rule: %(category)s in %(region)s → %(unit)s")
                % {
                    "category": rule.category.name if rule.category else _("any category"),
                    "region": rule.region.name,
                    "unit": department.name if department else office.name,
                },
            )

    district = _ancestor_at(case, Level.DISTRICT)
    for category in chain:
        if category.owner == Owner.DEPARTMENT and category.department_short_name and district:
            department = Department.objects.filter(
                is_active=True, short_name=category.department_short_name, region=district
            ).first()
            if department:
                return Suggestion(
                    department,
                    None,
                    None,
                    _("Catalogue: %(category)s belongs to %(department)s")
                    % {"category": category.name, "department": department.name},
                )
        if category.owner in (Owner.STREET, Owner.COMMUNITY):
            office = _ancestor_at(case, category.owner)
            if office:
                return Suggestion(
                    None,
                    office,
                    None,
                    _("Catalogue: %(category)s belongs to the %(level)s office")
                    % {"category": category.name, "level": office.get_level_display()},
                )
    fallback = district or case.region.ancestors().first() or case.region
    return Suggestion(
        None,
        fallback,
        None,
        _("No rule matches: the district government answers for it (兜底)"),
    )


def serving_departments(case: Case):
    """The active departments that serve the case's area — its district's, or the city's
    above it — the nearest first. Another district's departments never get its cases."""
    return (
        Department.objects.filter(is_active=True, region__path__in=_path_prefixes(case.region_path))
        .select_related("region")
        .order_by(Length("region__path").desc(), "code")
    )


def serves(department: Department, case: Case) -> bool:
    return department.is_active and case.region_path.startswith(department.region.path)


def _path_prefixes(path: str) -> list[str]:
    parts = path.rstrip("/").split("/")
    return ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
