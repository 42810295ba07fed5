"""Key rotation: every sealed number re-sealed under the current key and re-indexed under
the current index key, in place. Run after putting a new key first in REGISTRY_KEYS (or
REGISTRY_HMAC_KEYS) with the old ones still listed after it; then the old ones can go."""

from gridgov.registry import crypto, identity
from gridgov.registry.models import Organisation, Person

# (model, sealed column, index column, what the value is sealed as, what it is indexed as)
SEALED = [
    (Person, "document_sealed", "document_index", "person.document", "document"),
    (Person, "phone_sealed", "phone_index", "person.phone", "phone"),
    (
        Organisation,
        "contact_phone_sealed",
        "contact_phone_index",
        "organisation.contact_phone",
        "phone",
    ),
]


def _index_column(kind: str, row) -> str:
    return f"document:{row.document_type}" if kind == "document" else "phone"


def rotate(batch: int) -> dict[str, int]:
    counts = {}
    for model, sealed, index, column, kind in SEALED:
        done = 0
        rows = model.objects.exclude(**{sealed: ""}).order_by("pk")
        last = 0
        while True:
            chunk = list(rows.filter(pk__gt=last)[:batch])
            if not chunk:
                break
            for row in chunk:
                value = crypto.open_sealed(getattr(row, sealed), column)
                normal = (
                    identity.normal_document_number(value)
                    if kind == "document"
                    else identity.normal_phone(value)
                )
                setattr(row, sealed, crypto.seal(normal, column))
                setattr(row, index, crypto.blind_index(normal, _index_column(kind, row)))
            model.objects.bulk_update(chunk, [sealed, index])
            done += len(chunk)
            last = chunk[-1].pk
        counts[f"{model._meta.model_name}.{sealed}"] = done
    return counts
