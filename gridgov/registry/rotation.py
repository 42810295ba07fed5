"""Key rotation: every sealed number re-sealed under the current key and re-indexed under
the current index key, in place. Run after putting a new key first in REGISTRY_KEYS (or
REGISTRY_HMAC_KEYS) with the old ones still listed after it; then the old ones can go."""

from django.apps import apps

from gridgov.registry import crypto, identity


def sealed_columns():
    """(model, sealed column, index column, sealed as, indexed as) of every model that
    names its sealed columns: the registry's and any other app's (emergency's arrivals)."""
    return [
        (model, *columns)
        for model in apps.get_models()
        for columns in getattr(model, "sealed_columns", ())
    ]


def _index_column(kind: str, row) -> str:
    return f"document:{row.document_type}" if kind == "document" else "phone"


def rotate(batch: int) -> dict[str, int]:
    counts = {}
    for model, sealed, index, column, kind in sealed_columns():
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
