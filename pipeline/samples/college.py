"""A realistic sample college, for the demo, the tests and the benchmarks.

Deterministic for a seed: 20 branches under six 党总支 (one directly under the 党委),
a few hundred members with valid ID numbers, and a year of ledgers that satisfy every
rule. `mistakes.py`-style errors are added by the demo on top, on purpose.
"""
from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass, field
from decimal import Decimal

from stdnum.cn import ric

from pipeline.dues.rates import DuesRules
from pipeline.core.formats import COMMITTEE_FROM
from pipeline.checking.rules import add_years

GENERAL_BRANCHES = {
    "机电工程学院党总支": ["机电工程学院教工党支部", "机械制造专业群学生党支部", "智能控制专业群学生党支部"],
    "信息工程学院党总支": ["信息工程学院教工党支部", "软件技术专业群学生党支部", "大数据专业群学生党支部",
                      "电子信息专业群学生党支部"],
    "经济管理学院党总支": ["经济管理学院教工党支部", "财经商贸专业群学生党支部", "电子商务专业群学生党支部"],
    "建筑工程学院党总支": ["建筑工程学院教工党支部", "建设工程专业群学生党支部", "工程造价专业群学生党支部"],
    "艺术设计学院党总支": ["艺术设计学院教工党支部", "数字媒体专业群学生党支部"],
    "机关党总支": ["党政办公室党支部", "教务处党支部", "学生工作处党支部", "后勤保障处党支部"],
    "": ["离退休教职工党支部"],
}
REGIONS = ("330102", "330106", "330205", "330302", "320102", "310104", "110108", "420111", "510107",
           "440106", "370102", "410105", "130102", "350102", "430104", "610113", "500103", "360102")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰建国志红梅鹏飞宇浩然晨阳思雨欣怡子涵梓轩博文佳琪嘉怡俊杰雪婷海燕文静晓东振华立新卫东春燕永刚国庆"
DEGREES = ("大学本科", "硕士研究生", "博士研究生", "大学专科")
STUDENT_DEGREES = ("大学专科（在读）", "大学本科（在读）")
ETHNIC = ("汉族",) * 12 + ("回族", "满族", "蒙古族", "壮族", "土家族")


@dataclass
class Person:
    name: str
    sex: str
    born: dt.date
    id_card: str
    ethnic: str
    degree: str
    status: str              # 正式党员 / 预备党员
    joined: dt.date
    full: dt.date | None
    identity: str            # 在职教职工 / 离退休 / 学生
    group: str
    post: str                # 党内职务
    unit: str
    phone: str
    base: Decimal | None     # dues base (monthly)
    dues: Decimal = Decimal("0")


@dataclass
class Branch:
    name: str
    general: str
    kind: str                # 教工支部 / 学生支部 / 离退休支部
    members: list[Person] = field(default_factory=list)

    @property
    def secretary(self) -> Person:
        return next(p for p in self.members if p.post == "书记")

    def post(self, title: str) -> Person | None:
        return next((p for p in self.members if p.post == title), None)

    @property
    def committee(self) -> list[Person]:
        return [p for p in self.members if p.post in ("书记", "副书记", "组织委员", "宣传委员", "纪检委员")]


@dataclass
class College:
    name: str
    year: int
    today: dt.date
    branches: list[Branch]

    def branch(self, name: str) -> Branch:
        return next(b for b in self.branches if b.name == name)

    @property
    def members(self) -> int:
        return sum(len(b.members) for b in self.branches)


def id_number(rng: random.Random, born: dt.date, sex: str) -> str:
    seq = rng.randrange(0, 99)
    sex_digit = rng.choice("13579" if sex == "男" else "02468")
    body = f"{rng.choice(REGIONS)}{born:%Y%m%d}{seq:02d}{sex_digit}"
    return body + ric.calc_check_digit(body + "0")


def person_name(rng: random.Random, taken: set) -> str:
    while True:
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        if name not in taken:
            taken.add(name)
            return name


def _day(rng: random.Random, start: dt.date, end: dt.date) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(max((end - start).days, 1)))


def _person(rng: random.Random, kind: str, year: int, taken: set, unit: str, groups: int, dues: DuesRules,
            today: dt.date) -> Person:
    sex = rng.choice("男女")
    if kind == "学生支部":
        born = _day(rng, dt.date(year - 23, 1, 1), dt.date(year - 19, 6, 30))
        identity, degree = "学生", rng.choice(STUDENT_DEGREES)
        joined = _day(rng, max(add_years(born, 18), dt.date(year - 2, 1, 1)), today - dt.timedelta(days=30))
    elif kind == "离退休支部":
        born = _day(rng, dt.date(year - 85, 1, 1), dt.date(year - 61, 1, 1))
        identity, degree = "离退休", rng.choice(DEGREES)
        joined = _day(rng, add_years(born, 20), add_years(born, 45))
    else:
        born = _day(rng, dt.date(year - 58, 1, 1), dt.date(year - 25, 1, 1))
        identity, degree = "在职教职工", rng.choice(DEGREES)
        joined = _day(rng, add_years(born, 19), min(add_years(born, 40), today - dt.timedelta(days=60)))
    full = add_years(joined, 1)
    status = "正式党员" if full <= today else "预备党员"
    if status == "预备党员":
        full = None
    if identity == "学生":
        base = None
    elif identity == "离退休":
        base = Decimal(rng.randrange(300000, 900000)) / 100
    else:
        base = Decimal(rng.randrange(350000, 1600000)) / 100
    person = Person(person_name(rng, taken), sex, born, id_number(rng, born, sex), rng.choice(ETHNIC), degree, status,
                    joined, full, identity, f"第{rng.randrange(groups) + 1}党小组", "", unit,
                    f"1{rng.choice('3578')}{rng.randrange(10**9):09d}", base)
    person.dues = dues.expected(identity, base, today).low
    return person


def make_college(seed: int = 2026, year: int = 2026, today: dt.date | None = None, scale: int = 1) -> College:
    """The sample college. `scale` multiplies the members of every branch (benchmarks)."""
    rng = random.Random(seed)
    today = today or dt.date(year, 11, 27)
    dues = DuesRules()
    branches = []
    for general, names in GENERAL_BRANCHES.items():
        for name in names:
            kind = "学生支部" if "学生" in name else "离退休支部" if "离退休" in name else "教工支部"
            size = {"学生支部": (9, 22), "离退休支部": (24, 32), "教工支部": (14, 36)}[kind]
            count = rng.randint(*size) * scale
            taken: set = set()
            unit = name.replace("党支部", "").replace("教工", "")
            branch = Branch(name, general, kind)
            for i in range(count):
                # a student branch's secretary and a second member are teachers (辅导员)
                person_kind = "教工支部" if kind == "学生支部" and i < 2 else kind
                person = _person(rng, person_kind, year, taken, unit, 2 if count < 20 else 3, dues, today)
                if person.identity == "学生":
                    person.unit = f"{unit.replace('专业群学生', '')}{rng.randint(1, 3)}班"
                branch.members.append(person)
            full = [p for p in branch.members if p.status == "正式党员"]
            full.sort(key=lambda p: p.joined)
            posts = ("书记", "组织委员", "宣传委员", "纪检委员", "副书记") if len(full) >= COMMITTEE_FROM else ("书记",)
            for person, post in zip(full, posts):
                person.post = post
            branches.append(branch)
    return College("示例职业技术学院", year, today, branches)


def make_png(width: int = 160, height: int = 120, seed: int = 0) -> bytes:
    """A small real PNG (a coloured picture with stripes) — the demo's and tests' 'photos'."""
    import struct
    import zlib
    rng = random.Random(seed)
    base = [rng.randrange(60, 200) for _ in range(3)]
    rows = []
    for y in range(height):
        row = bytearray([0])
        for x in range(width):
            shade = 40 if (x // 12 + y // 12) % 2 else 0
            row += bytes(min(255, c + shade) for c in base)
        rows.append(bytes(row))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
            + chunk(b"IEND", b""))
