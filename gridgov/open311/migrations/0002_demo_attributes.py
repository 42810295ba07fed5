"""Demo service attributes, so the service definitions show what the spec's metadata is for:
a burst water main (E0502) asks whether supply is cut and roughly how many households it
reaches; a street lamp (C0104) asks which faults are seen and the pole number."""

from django.db import migrations

DEMO = {
    "E0502": [
        {
            "code": "supply_affected",
            "datatype": "singlevaluelist",
            "required": True,
            "order": 1,
            "description": "是否影响供水",
            "datatype_description": "选择一项",
            "values": [
                {"key": "yes", "name": "是，已停水或水压明显下降"},
                {"key": "no", "name": "否，供水正常"},
                {"key": "unknown", "name": "不清楚"},
            ],
        },
        {
            "code": "households",
            "datatype": "number",
            "required": False,
            "order": 2,
            "description": "大约影响多少户",
            "datatype_description": "填写数字，估计即可",
            "values": [],
        },
    ],
    "C0104": [
        {
            "code": "faults",
            "datatype": "multivaluelist",
            "required": False,
            "order": 1,
            "description": "看到的故障现象",
            "datatype_description": "可多选",
            "values": [
                {"key": "dark", "name": "不亮"},
                {"key": "flicker", "name": "闪烁"},
                {"key": "leaning", "name": "灯杆倾斜"},
                {"key": "broken", "name": "灯具或灯罩破损"},
            ],
        },
        {
            "code": "pole_number",
            "datatype": "string",
            "required": False,
            "order": 2,
            "description": "灯杆编号",
            "datatype_description": "灯杆上喷涂或挂牌的编号",
            "values": [],
        },
    ],
}


def add_demo_attributes(apps, schema_editor):
    Category = apps.get_model("cases", "Category")
    ServiceAttribute = apps.get_model("open311", "ServiceAttribute")
    for code, attributes in DEMO.items():
        category = Category.objects.filter(code=code).first()
        if category is None:  # an administrator removed it from the catalogue
            continue
        for attribute in attributes:
            ServiceAttribute.objects.get_or_create(
                category=category, code=attribute["code"], defaults=attribute
            )


def remove_demo_attributes(apps, schema_editor):
    ServiceAttribute = apps.get_model("open311", "ServiceAttribute")
    for code, attributes in DEMO.items():
        ServiceAttribute.objects.filter(
            category__code=code, code__in=[a["code"] for a in attributes]
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("open311", "0001_initial"), ("cases", "0002_starter_catalogue")]

    operations = [migrations.RunPython(add_demo_attributes, remove_demo_attributes)]
