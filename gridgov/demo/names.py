"""Names for the fictional demo city 江州市. Invented for the demo; any likeness to a real
place is a coincidence of the common words Chinese place names are made of."""

CITY_NAME = "江州市"
CITY_SHORT_NAME = "江州"

# North of the river first: the district codes follow the reading order of the map.
DISTRICT_NAMES = ["江北区", "临湖区"]

STREET_NAMES = [
    "望江街道",
    "柳岸街道",
    "清波街道",
    "北塘街道",
    "云栖街道",
    "湖滨街道",
    "南浦街道",
    "梅坞街道",
    "凤起街道",
    "石桥街道",
    "文澜街道",
    "新河街道",
    "桂溪街道",
    "白沙街道",
]

# Community names are drawn from these two-character combinations (翠 + 苑 → 翠苑社区),
# the way many urban residents' committees are named after the estate they grew from.
COMMUNITY_FIRST = "翠桂兰松梅枫荷竹柳杏槐桃锦华景和嘉朝明秀春德安丰"
COMMUNITY_SECOND = "苑园庭湾坊里池溪林湖港城"

# (abbreviation for the code, short name, full name with {city}/{district} placeholders)
DEPARTMENTS = [
    ("cg", "城管", "{district}城市管理和综合执法局"),
    ("scjg", "市场监管", "{district}市场监督管理局"),
    ("zj", "住建", "{district}住房和城乡建设局"),
    ("sthj", "生态环境", "{city}生态环境局{district_short}分局"),
    ("jt", "交通", "{district}交通运输局"),
    ("sw", "水务", "{district}水务局"),
    ("wj", "卫健", "{district}卫生健康局"),
    ("jy", "教育", "{district}教育局"),
    ("rs", "人社", "{district}人力资源和社会保障局"),
    ("ga", "公安", "{city}公安局{district}分局"),
    ("mz", "民政", "{district}民政局"),
]

PEOPLE = {
    "admin": "系统管理员",
    "leader": "陈立新",
    "dispatcher": "周敏",
    "street": "刘建国",
    "community": "王芳",
    "gridworker": "李娜",
    "dept": "张伟",
    "resident": "赵磊",
}
GRID_WORKER_NAMES = ["孙丽", "马超", "胡静", "郭强", "何敏", "高洁", "林涛", "罗霞", "梁勇", "宋洋"]
