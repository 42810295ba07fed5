"""Running counts of the registry per community (CommunityCount), and counting them again.

A street, a district or the city holds hundreds of thousands to millions of persons;
counting them on every page view costs seconds. So each community's figures are kept as
counts — residents by residence type and by birth year, households, tags carried,
dwellings by use, active organisations by kind — changed in the same transaction as the
record they count:

- every save of a Person, Household, Dwelling, Organisation or PersonTag goes through
  `kept`, which reads the row as stored (locked until commit, so two writers of one row
  take turns and each sees what the other left) and adds the difference;
- every delete, a cascade included, takes the row's counts away (post_delete);
- `person.tags.add()/set()` add through m2m_changed (they bypass PersonTag.save);
- bulk writers (the demo population) call `rebuild` afterwards;
- a long transaction of many saves (an import) runs inside `batched`: its changes are
  added up in memory and written once at the end. Written row by row, every update of the
  same few count rows leaves a row version PostgreSQL cannot clean up before the commit,
  and each later update walks the longer chain: an import's time grew with the square of
  its rows.

Age bands move every day while birth years do not: figures.py adds up birth years and
counts only the persons born in part of the boundary years live, through an index.

`gridgov registry rollups --check` compares the counts with a recount; `--rebuild`
replaces them by it.
"""

from collections import Counter
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import connection, models, transaction
from django.db.models import Count
from django.db.models.functions import ExtractYear, Substr
from django.utils.translation import gettext_lazy as _

from gridgov.regions.choices import Level
from gridgov.regions.codes import segments


class Figure(models.TextChoices):
    RESIDENCE_TYPE = "residence_type", _("residents by residence type")
    BIRTH_YEAR = "birth_year", _("residents by birth year")
    HOUSEHOLD = "household", _("households")
    TAG = "tag", _("tags carried")
    DWELLING_USE = "dwelling_use", _("dwellings by use")
    ORGANISATION_KIND = "organisation_kind", _("organisations by kind")


def community_length() -> int:
    """The length of a community's region path (segments have fixed widths)."""
    total = 0
    for name, width in segments():
        total += width + 1
        if name == Level.COMMUNITY:
            return total
    raise ValueError(Level.COMMUNITY)


def community_of(path: str) -> str:
    return path[: community_length()]


# --- what each record counts --------------------------------------------------------------


def _birth_year(birth_date) -> str:
    return str(birth_date.year) if birth_date else ""


def _person_keys(row) -> list:
    if not row["region_path"] or row["moved_out_on"] is not None:
        return []
    cut = community_of(row["region_path"])
    return [
        (cut, Figure.RESIDENCE_TYPE, row["residence_type"]),
        (cut, Figure.BIRTH_YEAR, _birth_year(row["birth_date"])),
    ]


def _household_keys(row) -> list:
    if row["moved_out_on"] is not None:
        return []
    return [(community_of(row["region_path"]), Figure.HOUSEHOLD, "")]


def _dwelling_keys(row) -> list:
    return [(community_of(row["region_path"]), Figure.DWELLING_USE, row["use"])]


def _organisation_keys(row) -> list:
    if not row["is_active"]:
        return []
    return [(community_of(row["region_path"]), Figure.ORGANISATION_KIND, row["kind"])]


def _member_community(row) -> str | None:
    """Where a person's tags count: their community while they live there, else nowhere."""
    if row is None or not row["region_path"] or row["moved_out_on"] is not None:
        return None
    return community_of(row["region_path"])


@dataclass(frozen=True)
class Counted:
    fields: tuple
    keys: object  # row dict → [(community_path, figure, key)]


COUNTED = {
    "Person": Counted(
        ("region_path", "moved_out_on", "residence_type", "birth_date"), _person_keys
    ),
    "Household": Counted(("region_path", "moved_out_on"), _household_keys),
    "Dwelling": Counted(("region_path", "use"), _dwelling_keys),
    "Organisation": Counted(("region_path", "kind", "is_active"), _organisation_keys),
}
MEMBER_FIELDS = ("region_path", "moved_out_on")


def _row(instance, fields) -> dict:
    return {name: getattr(instance, name) for name in fields}


def _stored(model, pk, fields) -> dict | None:
    return model.objects.select_for_update().filter(pk=pk).values(*fields).first()


def _tag_keys(pairs) -> list:
    """The keys of (person id, tag id) pairs, by where each person lives now."""
    from gridgov.registry.models import Person

    pairs = list(pairs)
    members = {
        row["pk"]: _member_community(row)
        for row in Person.objects.filter(pk__in={p for p, _t in pairs}).values("pk", *MEMBER_FIELDS)
    }
    return [
        (members[person], Figure.TAG, str(tag))
        for person, tag in pairs
        if members.get(person) is not None
    ]


@contextmanager
def kept(instance):
    """Wrap a registry record's save: its counts follow it in the same transaction."""
    model = type(instance)
    with transaction.atomic():
        if model.__name__ == "PersonTag":
            before = _stored(model, instance.pk, ("person_id", "tag_id")) if instance.pk else None
            yield
            delta = Counter(_tag_keys([(instance.person_id, instance.tag_id)]))
            if before is not None:
                delta.subtract(_tag_keys([(before["person_id"], before["tag_id"])]))
            apply(delta)
            return
        counted = COUNTED[model.__name__]
        before = _stored(model, instance.pk, counted.fields) if instance.pk else None
        yield
        delta = Counter(counted.keys(_row(instance, counted.fields)))
        if before is not None:
            delta.subtract(counted.keys(before))
        if model.__name__ == "Person":
            delta.update(_moved_tags(instance, before))
        apply(delta)


def _moved_tags(person, before) -> Counter:
    """A person who moves to another community, or away, takes their tags' counts along."""
    old = _member_community(before)
    new = _member_community(_row(person, MEMBER_FIELDS))
    delta = Counter()
    if old == new or before is None:
        return delta
    for tag in person.person_tags.values_list("tag_id", flat=True):
        if old is not None:
            delta[(old, Figure.TAG, str(tag))] -= 1
        if new is not None:
            delta[(new, Figure.TAG, str(tag))] += 1
    return delta


def _deleted(sender, instance, **kwargs):
    if sender.__name__ == "PersonTag":
        keys = _tag_keys([(instance.person_id, instance.tag_id)])
    else:
        counted = COUNTED[sender.__name__]
        keys = counted.keys(_row(instance, counted.fields))
    apply(Counter({key: -1 for key in keys}))


def _tags_added(sender, instance, action, reverse, pk_set, **kwargs):
    # Removals are counted by post_delete on PersonTag, which they also send.
    if action != "post_add" or not pk_set:
        return
    pairs = (
        [(pk, instance.pk) for pk in pk_set] if reverse else [(instance.pk, pk) for pk in pk_set]
    )
    apply(Counter(_tag_keys(pairs)))


def connect() -> None:
    from django.db.models.signals import m2m_changed, post_delete

    from gridgov.registry.models import Dwelling, Household, Organisation, Person, PersonTag

    for model in (Person, Household, Dwelling, Organisation, PersonTag):
        post_delete.connect(_deleted, sender=model, dispatch_uid=f"registry-count-{model}")
    m2m_changed.connect(_tags_added, sender=PersonTag, dispatch_uid="registry-count-tags")


_pending: ContextVar[Counter | None] = ContextVar("registry_pending_counts", default=None)


@contextmanager
def batched():
    """Inside it, counts changed by saves are held and written once, when it ends without
    an error. Use it inside the transaction of the saves (the counts must commit with
    them); nested, the outer batch writes them."""
    if _pending.get() is not None:
        yield
        return
    token = _pending.set(Counter())
    try:
        yield
        held = _pending.get()
    finally:
        _pending.reset(token)
    # A dry run marks its transaction for rollback: what it held would be undone anyway.
    if not transaction.get_rollback():
        apply(held)


def apply(delta: Counter) -> None:
    """Add each key's change to its row, in one statement; a missing row is created."""
    held = _pending.get()
    if held is not None:
        held.update(delta)
        return
    changes = sorted((key, n) for key, n in delta.items() if n)
    if not changes:
        return
    from gridgov.registry.models import CommunityCount

    qn = connection.ops.quote_name
    table = qn(CommunityCount._meta.db_table)
    count = qn("count")
    # One upsert, its rows in a fixed order: two transactions adding to the same rows lock
    # them in the same order and cannot deadlock, and neither can insert a row twice.
    values = ", ".join(["(%s, %s, %s, %s)"] * len(changes))
    params = [value for (path, figure, key), n in changes for value in (path, figure, key, n)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({qn('community_path')}, {qn('figure')}, {qn('key')}, {count}) "
            f"VALUES {values} ON CONFLICT ({qn('community_path')}, {qn('figure')}, {qn('key')}) "
            f"DO UPDATE SET {count} = {table}.{count} + EXCLUDED.{count}",
            params,
        )


# --- counting again ----------------------------------------------------------------------


def _model(name, apps=None):
    # A migration passes its historical apps; everyone else gets the real models.
    if apps is None:
        from django.apps import apps
    return apps.get_model("registry", name)


def recount(paths=None, *, by_community=True, apps=None) -> Counter:
    """The registry's counts, recomputed from the records with a few GROUP BY queries:
    keyed (community_path, figure, key), or with by_community=False (figure, key) summed
    over `paths`. `paths` None: everywhere."""
    from gridgov.registry.models import under

    Person, PersonTag = _model("Person", apps), _model("PersonTag", apps)
    Household, Dwelling = _model("Household", apps), _model("Dwelling", apps)
    Organisation = _model("Organisation", apps)

    def rows(queryset, path_field, figure, key_expression, filters):
        queryset = queryset.filter(**filters)
        if paths is not None:
            queryset = queryset.filter(under(paths, path_field))
        group = {"key": key_expression}
        if by_community:
            group["cut"] = Substr(path_field, 1, community_length())
        for row in queryset.values(**group).annotate(n=Count("*")).order_by():
            key = "" if row["key"] is None else str(row["key"])
            yield ((row["cut"], figure, key) if by_community else (figure, key)), row["n"]

    residents = Person._default_manager.exclude(region_path="")
    current = {"moved_out_on__isnull": True}
    sources = (
        (residents, "region_path", Figure.RESIDENCE_TYPE, models.F("residence_type"), current),
        (residents, "region_path", Figure.BIRTH_YEAR, ExtractYear("birth_date"), current),
        (
            Household._default_manager.all(),
            "region_path",
            Figure.HOUSEHOLD,
            models.Value(""),
            current,
        ),
        (
            PersonTag._default_manager.exclude(person__region_path=""),
            "person__region_path",
            Figure.TAG,
            models.F("tag_id"),
            {"person__moved_out_on__isnull": True},
        ),
        (Dwelling._default_manager.all(), "region_path", Figure.DWELLING_USE, models.F("use"), {}),
        (
            Organisation._default_manager.all(),
            "region_path",
            Figure.ORGANISATION_KIND,
            models.F("kind"),
            {"is_active": True},
        ),
    )
    counts = Counter()
    for source in sources:
        for key, n in rows(*source):
            counts[key] += n
    return counts


def stored() -> Counter:
    from gridgov.registry.models import CommunityCount

    rows = CommunityCount.objects.exclude(count=0).values_list(
        "community_path", "figure", "key", "count"
    )
    return Counter({(path, figure, key): n for path, figure, key, n in rows})


def differences() -> list[tuple[tuple, int, int]]:
    """(key, stored, recounted) wherever the two disagree."""
    kept_counts, counted = stored(), recount()
    return [
        (key, kept_counts.get(key, 0), counted.get(key, 0))
        for key in sorted(set(kept_counts) | set(counted))
        if kept_counts.get(key, 0) != counted.get(key, 0)
    ]


def rebuild(apps=None) -> int:
    """Replace every count by a recount; the rows written."""
    CommunityCount = _model("CommunityCount", apps)

    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Writers add to rows they find: while the table is rewritten they wait, then
            # add their change to the recount (which did not see their transaction).
            with connection.cursor() as cursor:
                cursor.execute(
                    f"LOCK TABLE {connection.ops.quote_name(CommunityCount._meta.db_table)} "
                    "IN SHARE ROW EXCLUSIVE MODE"
                )
        counts = recount(apps=apps)
        CommunityCount.objects.all().delete()
        CommunityCount.objects.bulk_create(
            (
                CommunityCount(community_path=path, figure=figure, key=key, count=n)
                for (path, figure, key), n in counts.items()
            ),
            batch_size=2000,
        )
    return len(counts)
