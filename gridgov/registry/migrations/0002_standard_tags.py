"""The groups communities care for, as data an administrator edits (admin → tags)."""

from django.db import migrations

STANDARD_TAGS = [
    ("elderly-alone", "独居老人", "normal", "独自居住的 60 岁以上老人"),
    ("empty-nest", "空巢老人", "normal", "子女不在身边的老人"),
    ("disabled", "残疾人", "normal", "持残疾人证"),
    ("subsistence", "低保户", "normal", "享受最低生活保障"),
    ("extreme-poverty", "特困", "normal", "特困供养人员"),
    ("entitled-groups", "优抚对象", "normal", "退役军人及其他优抚对象"),
    ("left-behind-child", "留守儿童", "normal", "父母外出务工的未成年人"),
    ("special-attention", "重点人员", "sensitive", "需重点关注的人员：姓名仅限授权角色查看"),
    ("party-member", "党员", "normal", "中共党员（双报到）"),
    ("volunteer", "志愿者", "normal", "登记的志愿者"),
]


def add_tags(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    for code, name, sensitivity, description in STANDARD_TAGS:
        Tag.objects.get_or_create(
            code=code,
            defaults={"name": name, "sensitivity": sensitivity, "description": description},
        )


def remove_tags(apps, schema_editor):
    Tag = apps.get_model("registry", "Tag")
    Tag.objects.filter(code__in=[code for code, *_rest in STANDARD_TAGS], persons=None).delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_initial")]

    operations = [migrations.RunPython(add_tags, remove_tags)]
