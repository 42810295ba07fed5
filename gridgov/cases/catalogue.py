"""The starter category catalogue, loaded by a data migration; administrators edit it after.

Top classes follow GB/T 30428.2-2013 (数字化城市管理信息系统 第2部分：管理部件和事件):
部件 (components) 公用设施, 道路交通, 市容环境, 园林绿化, 房屋土地, 其他 and 事件 (events)
市容环境, 宣传广告, 施工管理, 街面秩序, 突发事件 — with a few leaves each and local
extensions — plus the 12345 hotline's subject areas. Each leaf: (code, name, owner,
department short name, default urgency, 立案标准, 结案标准).
"""

GBT = "GB/T 30428.2-2013"
HOTLINE = "12345 subjects (local)"

D, S, C = "department", "street", "community"

COMPONENTS = [
    (
        "C01",
        "公用设施",
        [
            ("C0101", "上水井盖", D, "水务", "utility", "井盖缺失、破损、移位", "井盖完好归位"),
            ("C0102", "污水井盖", D, "水务", "normal", "井盖缺失、破损、移位", "井盖完好归位"),
            ("C0103", "雨水井盖", D, "水务", "normal", "井盖缺失、破损、移位", "井盖完好归位"),
            ("C0104", "路灯", D, "城管", "normal", "灯杆倾斜、灯具损坏、不亮", "路灯正常照明"),
            ("C0105", "消防栓", D, "公安", "utility", "损坏、漏水、被圈占", "设施完好可用"),
        ],
    ),
    (
        "C02",
        "道路交通",
        [
            ("C0201", "交通标志牌", D, "交通", "normal", "缺失、损坏、遮挡", "标志完好清晰"),
            ("C0202", "护栏", D, "交通", "normal", "损坏、缺失", "护栏完好"),
            ("C0203", "公交站亭", D, "交通", "normal", "破损、污损", "站亭完好整洁"),
        ],
    ),
    (
        "C03",
        "市容环境",
        [
            ("C0301", "公共厕所", D, "城管", "normal", "设施损坏、卫生差", "设施完好、整洁"),
            ("C0302", "垃圾箱", D, "城管", "normal", "破损、满溢、缺失", "完好、及时清运"),
        ],
    ),
    (
        "C04",
        "园林绿化",
        [
            ("C0401", "行道树", D, "城管", "normal", "倒伏、枯死、缺株", "树木扶正或补植"),
            ("C0402", "绿地", D, "城管", "normal", "被毁、被占、脏乱", "绿地恢复整洁"),
        ],
    ),
    (
        "C05",
        "房屋土地",
        [
            ("C0501", "危房", D, "住建", "emergency", "有倒塌危险", "排除险情"),
        ],
    ),
    (
        "C06",
        "其他部件",
        [
            ("C0601", "其他设施", S, "", "normal", "设施损坏影响使用", "恢复正常使用"),
        ],
    ),
]

EVENTS = [
    (
        "E01",
        "市容环境",
        [
            (
                "E0101",
                "私搭乱建",
                D,
                "城管",
                "normal",
                "未经批准搭建建（构）筑物",
                "拆除或依法处理",
            ),
            ("E0102", "暴露垃圾", C, "", "normal", "垃圾裸露堆放", "清理干净"),
            ("E0103", "积存垃圾渣土", D, "城管", "normal", "垃圾渣土积存", "清运完毕"),
            ("E0104", "道路不洁", D, "城管", "normal", "路面污染、垃圾", "路面整洁"),
            ("E0105", "油烟扰民", D, "生态环境", "normal", "餐饮油烟直排", "油烟达标排放"),
        ],
    ),
    (
        "E02",
        "宣传广告",
        [
            ("E0201", "非法小广告", C, "", "normal", "乱张贴、乱涂写、乱刻画", "清除干净"),
            ("E0202", "违规户外广告", D, "城管", "normal", "未经批准设置广告牌匾", "拆除或补办"),
        ],
    ),
    (
        "E03",
        "施工管理",
        [
            ("E0301", "施工扰民", D, "住建", "normal", "夜间施工噪声超标", "停止违规施工"),
            ("E0302", "工地扬尘", D, "住建", "normal", "未覆盖、未洒水", "扬尘措施到位"),
            ("E0303", "道路遗撒", D, "城管", "normal", "车辆运输遗撒", "清理完毕并处罚"),
        ],
    ),
    (
        "E04",
        "街面秩序",
        [
            ("E0401", "无照经营游商", D, "市场监管", "normal", "流动无证经营", "劝离或依法处理"),
            ("E0402", "占道经营", S, "", "normal", "占用道路摆卖", "恢复通行"),
            ("E0403", "机动车乱停放", D, "公安", "normal", "占用人行道、消防通道", "车辆驶离"),
            ("E0404", "非机动车乱停放", C, "", "normal", "共享单车等乱停", "停放整齐"),
        ],
    ),
    (
        "E05",
        "突发事件",
        [
            ("E0501", "路面塌陷", D, "住建", "emergency", "路面塌陷危及安全", "险情排除、修复"),
            ("E0502", "自来水管破裂", D, "水务", "utility", "供水管道破裂", "修复供水"),
            ("E0503", "燃气泄漏", D, "住建", "emergency", "闻到燃气味、管道破损", "险情排除"),
            ("E0504", "下水道堵塞", D, "水务", "utility", "污水外溢", "疏通恢复"),
            ("E0505", "道路积水", D, "水务", "utility", "降雨后严重积水", "积水排除"),
        ],
    ),
]

HOTLINE_SUBJECTS = [
    (
        "H01",
        "城乡建设",
        [
            ("H0101", "物业管理", S, "", "normal", "物业服务纠纷", "答复并督促整改"),
            ("H0102", "老旧小区改造", D, "住建", "complex", "改造诉求", "答复诉求"),
        ],
    ),
    (
        "H02",
        "劳动和社会保障",
        [
            ("H0201", "拖欠工资", D, "人社", "normal", "用人单位欠薪", "协调支付或依法处理"),
            ("H0202", "社保医保", D, "人社", "normal", "缴费、待遇问题", "答复并办理"),
        ],
    ),
    (
        "H03",
        "教育文体",
        [
            ("H0301", "入学招生", D, "教育", "normal", "入学政策咨询与投诉", "答复"),
        ],
    ),
    (
        "H04",
        "商贸旅游",
        [
            ("H0401", "消费投诉", D, "市场监管", "normal", "商品或服务纠纷", "调解或依法处理"),
            ("H0402", "食品安全", D, "市场监管", "normal", "食品问题", "查处并答复"),
        ],
    ),
    (
        "H05",
        "环境保护",
        [
            ("H0501", "噪声扰民", D, "生态环境", "normal", "工业、商业噪声", "噪声达标"),
            ("H0502", "水体污染", D, "生态环境", "normal", "河道、水体污染", "污染源查处"),
        ],
    ),
    (
        "H06",
        "卫生计生",
        [
            ("H0601", "医疗服务", D, "卫健", "normal", "就医问题", "答复并处理"),
        ],
    ),
    (
        "H07",
        "交通运输",
        [
            ("H0701", "公交出行", D, "交通", "normal", "线路、站点诉求", "答复"),
        ],
    ),
    (
        "H08",
        "民生保障",
        [
            ("H0801", "养老服务", D, "民政", "normal", "养老服务诉求", "答复并办理"),
            ("H0802", "社区事务", C, "", "normal", "社区服务与管理", "答复并办理"),
            ("H0803", "停水停电", D, "水务", "utility", "突发停水停电", "恢复供应"),
        ],
    ),
]

CATALOGUE = [
    ("component", GBT, COMPONENTS),
    ("event", GBT, EVENTS),
    ("hotline", HOTLINE, HOTLINE_SUBJECTS),
]

# 疫情防控 emergency help: offered only where a region is in emergency mode, with deadlines
# in hours (an urgent medical need within 2 hours, as the cities' command centres ran it).
EMERGENCY_STANDARD = "emergency mode (local)"
EMERGENCY = (
    "X01",
    "疫情防控应急求助",
    [
        ("X0101", "滞留人员求助", C, "", "emergency", "因管控滞留、无处安置", "安置或协调返程"),
        ("X0102", "就医需求", S, "", "emergency", "急症、透析、孕产、慢病用药", "送医或送药到位"),
        ("X0103", "生活物资", C, "", "normal", "封控区域缺少食品或生活必需品", "物资送达"),
        ("X0104", "出行需求", S, "", "normal", "必要出行的通行与证明", "答复并办理"),
    ],
)
# (category code or the group's, accept hours, handle hours, verify hours) for every urgency.
EMERGENCY_DEADLINES = (("X01", 1, 24, 24), ("X0102", 1, 2, 12))


def load_emergency(category_model, deadline_model) -> int:
    """Create the emergency-help categories and their deadlines in hours."""
    code, name, leaves = EMERGENCY
    parent, created = category_model.objects.get_or_create(
        code=code,
        defaults={
            "name": name,
            "kind": "hotline",
            "standard": EMERGENCY_STANDARD,
            "emergency_only": True,
        },
    )
    for leaf_code, leaf_name, owner, department, urgency, admit, close in leaves:
        _leaf, made = category_model.objects.get_or_create(
            code=leaf_code,
            defaults={
                "name": leaf_name,
                "kind": "hotline",
                "standard": EMERGENCY_STANDARD,
                "parent": parent,
                "owner": owner,
                "department_short_name": department,
                "default_urgency": urgency,
                "admission_standard": admit,
                "closure_standard": close,
                "emergency_only": True,
            },
        )
        created += made
    for category_code, accept, handle, verify in EMERGENCY_DEADLINES:
        category = category_model.objects.get(code=category_code)
        for urgency in ("emergency", "utility", "normal", "complex"):
            deadline_model.objects.get_or_create(
                category=category,
                urgency=urgency,
                defaults={
                    "accept_hours": accept,
                    "handle_amount": handle,
                    "handle_unit": "hours",
                    "verify_hours": verify,
                },
            )
    return created


def load(category_model) -> int:
    """Create the starter catalogue with the given model class (a migration's historical one).
    Existing codes are left as administrators edited them."""
    created = 0
    for kind, standard, classes in CATALOGUE:
        for code, name, leaves in classes:
            parent, made = category_model.objects.get_or_create(
                code=code, defaults={"name": name, "kind": kind, "standard": standard}
            )
            created += made
            for leaf_code, leaf_name, owner, department, urgency, admit, close in leaves:
                _leaf, made = category_model.objects.get_or_create(
                    code=leaf_code,
                    defaults={
                        "name": leaf_name,
                        "kind": kind,
                        "standard": standard,
                        "parent": parent,
                        "owner": owner,
                        "department_short_name": department,
                        "default_urgency": urgency,
                        "admission_standard": admit,
                        "closure_standard": close,
                    },
                )
                created += made
    return created
