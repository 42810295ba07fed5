"""POST /api/v1/cases/batch: many cases in one call (gridgov.cases.batch)."""

from django.urls import reverse
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import exceptions, serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.api import schema
from gridgov.api.case_views import INTAKE_EXAMPLE
from gridgov.api.errors import field_errors
from gridgov.api.inputs import json_form_input, namespaced_key
from gridgov.api.parsers import JsonBodyParser
from gridgov.cases import batch
from gridgov.cases.forms import IntakeForm

KEY_FIELD = "idempotency_key"

BatchItemRequest = schema.request_serializer(
    IntakeForm,
    "BatchItem",
    photos=False,
    defaults=schema.INTAKE_DEFAULTS,
    extra={
        KEY_FIELD: serializers.CharField(
            required=False,
            help_text="This item's Idempotency-Key: a retried batch creates no case twice.",
        )
    },
)


class BatchRequestSerializer(serializers.Serializer):
    cases = BatchItemRequest(many=True, help_text=f"1 to {batch.MAX_ITEMS} cases.")


class BatchItemResultSerializer(serializers.Serializer):
    index = serializers.IntegerField(help_text="The item's position in `cases`, from 0.")
    status = serializers.ChoiceField(
        choices=[201, 200, 400],
        help_text="201 taken in; 200 taken in before under the same key; 400 refused.",
    )
    number = serializers.CharField(required=False)
    url = serializers.URLField(required=False)
    warnings = serializers.ListField(child=serializers.CharField(), required=False)
    detail = serializers.CharField(required=False, help_text="Why the item was refused.")
    errors = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField()), required=False
    )


class BatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    existing = serializers.IntegerField()
    refused = serializers.IntegerField()
    results = BatchItemResultSerializer(many=True)


BATCH_EXAMPLE = OpenApiExample(
    "Two work orders from the 12345 platform",
    request_only=True,
    value={
        "cases": [
            {**INTAKE_EXAMPLE.value, "channel": "hotline", KEY_FIELD: "12345-20261129-0001"},
            {
                "channel": "hotline",
                "title": "路灯不亮",
                "description": "滨江社区3号楼前路灯不亮。",
                "address": "滨江社区3号楼",
                KEY_FIELD: "12345-20261129-0002",
            },
        ]
    },
)


# On the method, not the class: drf-spectacular's deploy check warns that an operation_id
# on a view class can break the schema.
batch_schema = extend_schema(
    tags=["cases"],
    operation_id="cases_batch_create",
    summary="Take many cases in at once",
    description=(
        f"For a feed (the city's 12345 platform, a partner system): up to {batch.MAX_ITEMS} "
        "cases as JSON, each item the same fields as a single intake (no photos) plus its "
        "own `idempotency_key`. Each item is checked on its own: a refused item gets its "
        "errors and the others are still taken in. Answers 200 with one result per item, in "
        "order. Only staff who take cases in (dispatcher, grid worker, administrator) may "
        "send a batch; `channel` is kept as given."
    ),
    request={"application/json": BatchRequestSerializer},
    responses={
        200: BatchResultSerializer,
        400: schema.BAD_INPUT,
        401: schema.UNAUTHENTICATED,
        403: schema.error("Your role does not take cases in."),
        413: schema.error("The body is over the size limit."),
    },
    examples=[BATCH_EXAMPLE],
)


class CaseBatchView(APIView):
    parser_classes = [JsonBodyParser]

    @batch_schema
    def post(self, request):
        items = request.data.get("cases") if isinstance(request.data, dict) else None
        if not isinstance(items, list) or not items:
            raise exceptions.ValidationError(
                {"cases": [_("Send a JSON object whose `cases` is a list of cases.")]}
            )
        inputs, unreadable = [], {}
        for index, item in enumerate(items):
            data, key, problems = self._item(request, item)
            inputs.append((data, key))
            if problems:
                unreadable[index] = problems
        # Unreadable items go through as empty ones (refused below), so that every result
        # keeps its position; their own problems replace the form's complaints.
        outcomes = batch.intake_batch(request.user, inputs)
        results = []
        for index, outcome in enumerate(outcomes):
            if index in unreadable:
                results.append(
                    self._refused(index, _("The case could not be read."), unreadable[index])
                )
            elif outcome.case is None:
                results.append(self._refused(index, outcome.message, field_errors(outcome.errors)))
            else:
                url = reverse("api:case-detail", args=[outcome.case.number])
                results.append(
                    {
                        "index": index,
                        "status": outcome.status,
                        "number": outcome.case.number,
                        "url": request.build_absolute_uri(url),
                        "warnings": outcome.warnings,
                    }
                )
        statuses = [result["status"] for result in results]
        return Response(
            {
                "created": statuses.count(201),
                "existing": statuses.count(200),
                "refused": statuses.count(400),
                "results": results,
            }
        )

    def _item(self, request, item):
        if not isinstance(item, dict):
            return {}, None, {"non_field_errors": [_("Each case is a JSON object.")]}
        data, problems = json_form_input(item, IntakeForm)
        for name, value in schema.INTAKE_DEFAULTS.items():
            if not data.get(name):
                data[name] = value
        key = None
        raw = item.get(KEY_FIELD)
        if raw is not None:
            key, problem = (
                namespaced_key(request, raw)
                if isinstance(raw, str)
                else (None, _("Give the key as text."))
            )
            if problem:
                problems[KEY_FIELD] = [problem]
        if problems:
            # Nothing of an unreadable item may be taken in: an empty form is refused.
            return {}, None, problems
        return data, key, {}

    @staticmethod
    def _refused(index, detail, errors):
        return {"index": index, "status": 400, "detail": str(detail), "errors": errors}
