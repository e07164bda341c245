"""The format registry: every ledger item of LEDGER-FORMATS.md as data.

A `Field` is a column (or, in Word, a label): canonical name, type, synonyms, whether
it is required, enum values with their synonyms. An `Item` is a ledger item (A1 …).
Cross-row and item rules live in `rules.py`, keyed by item code, so this module stays
pure data. Canonical field names are the Chinese column names users see; records use
them as keys.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field as dc_field
from functools import cached_property, lru_cache

from pipeline.core.values import PARSERS, fold, match_key


@dataclass(frozen=True)
class Field:
    name: str
    type: str = "text"
    required: bool | frozenset = False   # True, or the set of item codes where required
    synonyms: tuple[str, ...] = ()
    enum: dict = dc_field(default_factory=dict)   # canonical value → synonyms
    hint: str = ""
    column_required: bool = False        # the column must exist even where a value may be empty
    future_ok: bool = False              # a deadline or term end: may lie after the day received

    @cached_property
    def labels(self) -> tuple[str, ...]:
        return (self.name, *self.synonyms)

    @cached_property
    def enum_lookup(self) -> dict:
        lookup = {}
        for value, synonyms in self.enum.items():
            for text in (value, *synonyms):
                lookup[match_key(text)] = value
        return lookup

    @property
    def parser(self):
        return PARSERS[self.type]

    def is_required(self, item_code: str) -> bool:
        if isinstance(self.required, frozenset):
            return item_code in self.required
        return self.required


@dataclass(frozen=True)
class Item:
    code: str
    name: str
    category: str
    fields: tuple[Field, ...]
    titles: tuple[str, ...] = ()        # other names seen in titles and sheet names
    period: str = "year"                # year | month | none (record-level identity)
    form: str = "excel"                 # excel | word | both
    person: str | None = None           # the field naming a party member
    dates: tuple[str, ...] = ()         # date fields that place the ledger in time
    record_key: tuple[str, ...] = ()    # records with the same key replace older ones
    note: str = ""                      # one line for the 填表说明 sheet
    college: bool = False               # a college-wide sheet: the branch is a column, not the sheet's
    state: bool = False                 # describes a state (registry, roster, bases, committee): never empty

    @cached_property
    def by_name(self) -> dict:
        return {f.name: f for f in self.fields}

    @cached_property
    def types(self) -> dict:
        return {f.name: f.type for f in self.fields}

    def required_fields(self, code: str | None = None) -> list[Field]:
        return [f for f in self.fields if f.is_required(code or self.code)]

    @property
    def all_titles(self) -> tuple[str, ...]:
        return (self.name, *self.titles)


def F(name, type="text", req=False, syn=(), enum=None, hint="", col=False, future=False):
    if isinstance(syn, str):
        syn = tuple(syn.split())
    return Field(name, type, req, tuple(syn), enum or {}, hint, col, future)


# --- enums -----------------------------------------------------------------------
SEX = {"男": ("男性", "M"), "女": ("女性", "F")}
MEMBER_STATUS = {"正式党员": ("正式", "中共党员", "党员", "正"), "预备党员": ("预备", "中共预备党员", "预")}
IDENTITY = {
    "在职教职工": ("在职", "教职工", "在职职工", "教师", "在职人员", "职工", "行政人员"),
    "离退休": ("退休", "离休", "离退休人员", "退休教职工", "离退休教职工"),
    "学生": ("在校学生", "学生党员", "本科生", "研究生", "专科生"),
    "其他": ("其它", "流动党员", "下岗失业", "农民"),
}
# C1 judges dues by what a member lives on (§5): A1's four identities, and the fixed-amount groups
DUES_IDENTITY = {
    "在职教职工": IDENTITY["在职教职工"],
    "离退休": IDENTITY["离退休"],
    "学生": IDENTITY["学生"],
    "下岗失业": ("下岗", "失业", "下岗失业人员", "失业人员"),
    "依靠抚恤或救济生活": ("抚恤", "救济", "依靠抚恤", "依靠救济"),
    "领取最低生活保障金": ("低保", "最低生活保障", "领取低保"),
    "农民": ("农民党员", "务农"),
    "其他": ("其它", "流动党员"),
}
REMIT_KIND = {"上缴": ("上交", "缴纳"), "返还": ("下拨", "返还党费", "上级返还", "下拨党费", "拨回")}
BRANCH_TYPE = {"教工支部": ("教工党支部", "教职工支部", "教职工党支部"),
               "学生支部": ("学生党支部",),
               "离退休支部": ("离退休党支部", "退休支部", "退休党支部", "离退休教职工党支部"),
               "师生混合支部": ("师生混合党支部", "师生联合支部", "师生联合党支部", "混合支部")}
DUES_USE = {"党员教育培训": ("教育培训", "党员培训", "培训"), "表彰先进": ("表彰",),
            "慰问困难党员": ("慰问", "慰问困难", "困难党员慰问"), "订阅党报党刊": ("订阅报刊", "党报党刊", "报刊订阅"),
            "支部活动": ("活动", "组织活动"), "党员活动室建设": ("活动室建设", "阵地建设"), "其他": ("其它",)}
FUND_SOURCE = {"党费": ("党费返还", "下拨党费"), "活动经费": ("支部活动经费", "工作经费", "党建经费")}
MEETING_TYPES = {
    "B1": ("支部党员大会", ("党员大会", "支部大会", "全体党员大会", "党员大会会议")),
    "B2": ("支部委员会", ("支委会", "支部委员会会议", "支委会会议", "委员会")),
    "B3": ("党小组会", ("党小组会议", "小组会")),
    "B4": ("党课", ("专题党课", "上党课", "讲党课", "党课学习")),
    "B5": ("主题党日", ("主题党日活动", "党日活动", "固定党日")),
    "B6": ("组织生活会", ("专题组织生活会", "年度组织生活会")),
    "B7": ("民主评议党员", ("民主评议", "民主评议党员大会")),
    "B8": ("谈心谈话", ("谈话", "谈心", "谈心谈话记录")),
}
MEETING_ITEMS = frozenset({"B", *MEETING_TYPES})        # the register and each meeting type share B's fields
NEEDS_PHOTOS = frozenset({"B1", "B5", "B6", "B7"})      # "有作为，必有记录，有照片可看"
COMMITTEE_FROM = 7          # 正式党员7人以上的党支部设立支部委员会（支部工作条例）
MEETING_ENUM = {name: syn for name, syn in MEETING_TYPES.values()}
MEETING_CODE = {name: code for code, (name, _) in MEETING_TYPES.items()}
RATING = {"好": ("优秀",), "较好": ("良好", "比较好"), "一般": ("合格", "基本合格"), "差": ("不合格", "较差")}
TRANSFER = {"转入": ("调入", "接收"), "转出": ("调出",)}
REWARD = {"奖励": ("表彰", "嘉奖"), "处分": ("纪律处分", "惩处")}
PUBLIC_TYPE = {"教职工": ("教师", "职工"), "学生": (), "群众": ("居民", "村民"), "其他": ("其它",)}
STUDY_FORM = {"集中学习": ("集体学习", "集中学习研讨"), "专题研讨": ("研讨", "专题讨论"), "专题党课": ("党课",),
              "参观学习": ("参观", "现场教学", "实地参观"), "线上学习": ("网上学习", "线上", "学习强国"), "其他": ("其它",)}
RECTIFY = {"未完成": ("未整改", "未开始"), "整改中": ("正在整改", "进行中"), "已完成": ("完成", "已整改", "已办结")}

# --- shared column synonyms --------------------------------------------------------
NAME_SYN = "党员姓名 名字"
DATE_SYN = "时间 日期"
PHONE_SYN = "联系方式 手机号码 手机号 手机 电话 联系电话号码 手机号码/电话"
NOTE_SYN = "说明 附注 备考"
MEET_ALL = frozenset(MEETING_TYPES)
MEET_GROUP = MEET_ALL - {"B8"}

MEETING_FIELDS = (
    F("会议类型", "enum", enum=MEETING_ENUM, syn="会议名称 活动类型 组织生活类型 类型 会议形式"),
    F("日期", "date", MEET_ALL, syn="会议时间 会议日期 时间 活动时间 授课时间 谈话时间 开会时间 活动日期 实际时间 "
      "实际会议时间 实际开展时间"),
    F("地点", "text", MEET_GROUP, syn="会议地点 活动地点 授课地点 谈话地点 开会地点"),
    F("主持人", "name", MEET_GROUP, syn="会议主持人 主持 主持人姓名"),
    F("记录人", "name", MEET_ALL, syn="记录 记录员 会议记录人 记录人姓名"),
    F("应到人数", "int", MEET_GROUP, syn="应到 应出席人数 应参加人数 应到会人数"),
    F("实到人数", "int", MEET_GROUP, syn="实到 实际出席人数 出席人数 实参加人数 实到会人数 到会人数"),
    F("缺席人员及原因", "text", syn="缺席人员 缺席情况 缺席人员及事由 请假人员 缺席人员及缺席原因"),
    F("列席人员", "text", syn="列席 列席人"),
    F("议题", "text", MEET_ALL, syn="会议议题 会议主题 主题 授课题目 党课题目 谈话主题 活动主题 学习内容 谈话内容 会议主要议题 "
                                       "活动名称 主题党日活动名称"),
    F("会议内容", "text", syn="会议记录 发言记录 会议纪要 主要内容"),
    F("决议事项", "text", syn="决议 会议决议 决定事项 形成决议"),
    F("主讲人", "name", frozenset({"B4"}), syn="授课人 讲课人 主讲 领学人"),
    F("谈话人", "name", frozenset({"B8"}), syn="谈话者"),
    F("谈话对象", "name", frozenset({"B8"}), syn="被谈话人 谈话对象姓名"),
)


def _meeting(code: str) -> Item:
    name, syn = MEETING_TYPES[code]
    return Item(code, name, "B 党组织生活台账", MEETING_FIELDS,
                titles=(f"{name}会议记录", f"{name}记录", f"{name}登记表", *syn),
                period="none", form="both", dates=("日期",), record_key=("日期", "议题"))


ITEM_LIST: tuple[Item, ...] = (
    Item("Z1", "党组织设置表", "Z 组织设置", (
        F("党总支", "text", syn="所属党总支 党总支名称 总支 上级党组织", col=True,
          hint="直属学院党委的党支部此项空着"),
        F("党支部", "text", True, syn="党支部名称 支部名称 支部"),
        F("支部类型", "enum", True, enum=BRANCH_TYPE, syn="党支部类型 类型"),
        F("书记", "name", True, syn="支部书记 党支部书记 书记姓名"),
        F("组织委员", "name", syn="支部组织委员"),
        F("党员人数", "int", syn="党员数 党员总数 人数"),
        F("党总支书记", "name", syn="总支书记 党总支部书记"),
    ), titles=("党组织设置", "组织设置表", "党组织设置情况表", "党支部设置表"), period="snapshot", college=True, state=True,
       note="由组织部填报；党总支可空（直属学院党委的党支部）。"),

    Item("A1", "党员花名册", "A 党员信息台账", (
        F("序号"),
        F("姓名", "name", True, syn=NAME_SYN),
        F("性别", "enum", True, enum=SEX),
        F("民族", syn="族别"),
        F("出生年月", "birth", True, syn="出生日期 出生年月日 出生时间 生日"),
        F("身份证号", "id_card", syn="身份证号码 公民身份号码 身份证 证件号码 居民身份证号 身份证件号码",
          hint="18位，请设为文本格式"),
        F("学历", syn="文化程度 最高学历 学历学位"),
        F("人员类别", "enum", True, enum=MEMBER_STATUS, syn="党员类别 党员类型 正式/预备 预/正 政治面貌 正式或预备"),
        F("入党时间", "date", True, syn="入党日期 入党年月 加入党组织日期 接收预备党员时间 入党年月日"),
        F("转正时间", "date", syn="转正日期 转为正式党员时间 转正年月 转为正式党员日期"),
        F("党员身份", "enum", True, enum=IDENTITY, syn="人员身份 身份 党员身份类别 人员类型"),
        F("所在党小组", syn="党小组 所属党小组"),
        F("党内职务", syn="党内任职 支部职务"),
        F("工作单位及职务", syn="工作单位 单位及职务 工作岗位 所在部门及职务 所在单位 班级 所在班级 部门 职务"),
        F("联系电话", "phone", syn=PHONE_SYN),
        F("备注", syn=NOTE_SYN),
    ), titles=("花名册", "党员名册", "党员信息表", "党员基本信息表", "党员信息登记表", "党员基本情况", "党员信息",
              "党员信息采集表", "党员信息导入"),
       person="姓名", state=True, note="每年至少报送一次；新名册替换旧名册。转正时间：正式党员必填，预备党员空着。"),

    Item("A2", "入党积极分子和发展对象名册", "A 党员信息台账", (
        F("姓名", "name", True, syn=NAME_SYN),
        F("性别", "enum", enum=SEX),
        F("出生年月", "birth", syn="出生日期"),
        F("递交入党申请书时间", "date", True, syn="申请入党时间 递交申请书时间 入党申请时间 递交入党申请时间 提交书面申请书时间 "
          "提交入党申请书时间 递交入党申请书日期"),
        F("确定为入党积极分子时间", "date", True, syn="确定积极分子时间 列为积极分子时间 确定为积极分子时间 列入培养对象的时间 "
          "列为入党积极分子时间 确定为入党积极分子日期"),
        F("培养联系人", "names", syn="培养人 联系人 培养联系人姓名 培养介绍人"),
        F("确定为发展对象时间", "date", syn="确定发展对象时间 列为发展对象时间 确定为重点发展对象时间 列为入党发展对象时间"),
        F("备注", syn=NOTE_SYN),
    ), titles=("入党积极分子名册", "发展对象名册", "积极分子名册", "入党积极分子和发展对象登记表", "入党积极分子表",
              "发展对象表", "申请入党人员"),
       dates=("确定为入党积极分子时间",)),

    Item("A3", "预备党员考察登记", "A 党员信息台账", (
        F("姓名", "name", True, syn=NAME_SYN),
        F("接收为预备党员时间", "date", True, syn="入党时间 接收时间 接收预备党员时间 加入党组织日期"),
        F("入党介绍人", "names", syn="介绍人"),
        F("预备期满时间", "date", syn="预备期满日期", future=True),
        F("转正时间", "date", syn="转正日期"),
        F("延长预备期", "bool", syn="是否延长预备期"),
        F("考察情况", syn="考察意见 考察记录"),
    ), titles=("预备党员考察登记表", "预备党员名册", "预备党员考察表", "预备党员转正", "预备党员转正信息"), person="姓名",
       dates=("接收为预备党员时间",)),

    Item("A4", "组织关系转接登记", "A 党员信息台账", (
        F("姓名", "name", True, syn=NAME_SYN),
        F("转接类型", "enum", True, enum=TRANSFER, syn="类型 转入/转出 转接方向"),
        F("日期", "date", True, syn="转接日期 转接时间 时间 办理时间 转出办理时间 转入办理时间 转出时间 转入时间"),
        F("转出单位或转入单位", "text", True, syn="转出单位 转入单位 转出/转入单位 对方单位 去向或来源 转往单位 来自单位"),
        F("介绍信编号", syn="介绍信号 编号 介绍信编码"),
        F("经办人", "name"),
    ), titles=("组织关系转接登记表", "党员组织关系转接", "组织关系转接", "组织关系转入", "组织关系转出"), dates=("日期",)),

    Item("A5", "党员奖惩登记", "A 党员信息台账", (
        F("姓名", "name", True, syn=NAME_SYN),
        F("类型", "enum", True, enum=REWARD, syn="奖惩类型 奖惩 奖惩类别"),
        F("日期", "date", True, syn="奖惩日期 时间 批准时间 奖惩时间"),
        F("事由", "text", True, syn="奖惩事由 原因 奖惩内容 奖惩说明"),
        F("批准机关", syn="批准单位 决定机关 批准党委"),
    ), titles=("党员奖惩登记表", "奖惩登记", "党员奖惩", "党员奖惩信息表"), person="姓名", dates=("日期",)),

    Item("B", "组织生活登记表", "B 党组织生活台账",
         (F("会议类型", "enum", True, enum=MEETING_ENUM, syn=MEETING_FIELDS[0].synonyms),
          *MEETING_FIELDS[1:]),
         titles=("组织生活台账", "三会一课登记表", "三会一课台账", "组织生活登记", "党组织生活登记表", "三会一课",
                 "支部会议"),
         period="none", dates=("日期",), record_key=("日期", "议题"),
         note="一行一次会议/活动；会议类型：" + "、".join(MEETING_ENUM)),
    *(_meeting(code) for code in MEETING_TYPES),

    Item("C1", "党费基数核定表", "C 党费收缴和使用台账", (
        F("姓名", "name", True, syn=NAME_SYN),
        F("党员身份", "enum", True, enum=DUES_IDENTITY, syn="人员身份 身份",
          hint="在职教职工、离退休、学生、下岗失业、依靠抚恤或救济生活、领取最低生活保障金、农民、其他"),
        F("计算基数", "money", syn="交纳基数 缴纳基数 党费基数 月工资收入 基数 月收入 工资基数 税后工资总额 税后工资 "
          "党费计算基数 缴存基数 核算基数 计算党费基数 基本养老金 离退休费 基本离退休费"),
        F("缴纳比例", "percent", syn="交纳比例 比例 缴费比例 执行标准 交纳党费比例 缴纳党费比例"),
        F("月应缴党费", "money", True, syn="应缴党费 月交纳党费 月应交党费 每月应缴 应交党费 月缴纳党费 每月应交纳党费金额 "
          "每月应交纳党费 月应交纳党费 每月应缴党费"),
        F("生效月份", "month", syn="起始月份 执行月份 生效时间"),
        F("备注", syn=NOTE_SYN),
    ), titles=("党费基数核定", "党费缴纳基数核定表", "党费交纳基数核定表", "党费基数表", "党费工资基数", "党费计算基数",
              "党费缴纳审核表", "党费核定表"), person="姓名", state=True,
       note="每年核定一次；年中工资变动另交一张并填生效月份。减免党费请在备注写“减免”及批准文号。"),

    Item("C2", "党费收缴登记表", "C 党费收缴和使用台账", (
        F("姓名", "name", True, syn=(*NAME_SYN.split(), "实缴人姓名", "缴费党员")),
        F("月份", "month", True, syn="所属月份 缴纳月份 交纳月份 党费月份 交费月份 缴费月份"),
        F("应缴金额", "money", syn="应缴党费 应交金额 应缴"),
        F("实缴金额", "money", True, syn="实缴党费 实交金额 实交党费 实缴 缴纳金额 交纳金额 交费金额 缴费金额"),
        F("缴纳日期", "date", syn="交纳日期 缴费日期 收缴日期 交费日期 成功交费通知时间"),
        F("收缴人", "name", syn="经收人 收款人"),
        F("备注", syn=NOTE_SYN),
    ), titles=("党费收缴登记", "党费交纳登记表", "党费收缴情况登记表", "党费收缴表", "党费缴纳登记表", "交纳党费明细",
              "党费交纳明细", "党费缴纳明细"),
       person="姓名", note="两种填法：每人一行、1月～12月各一列（实缴金额）；或每人每月一行。"),

    Item("C3", "党费上缴登记", "C 党费收缴和使用台账", (
        F("上缴日期", "date", True, syn="日期 上交日期 缴纳日期"),
        F("所属期间", "text", True, syn="所属月份 所属季度 期间 所属时期"),
        F("金额", "money", True, syn="上缴金额 上交金额"),
        F("接收单位", "text", True, syn="上缴单位 接收党组织 上缴至"),
        F("票据号", syn="收据号 票据编号 收据编号"),
        F("类型", "enum", enum=REMIT_KIND, syn="收支类型 上缴或返还 款项类型",
          hint="空着即为上缴；上级党委返还（下拨）给支部使用的党费填“返还”，接收单位填本支部"),
    ), titles=("党费上缴登记表", "党费上缴"), dates=("上缴日期",),
       note="上级党委返还（下拨）的党费也登记在本表，类型填“返还”（§5：党费使用从返还的党费中列支）。"),

    Item("C4", "党费和活动经费使用登记", "C 党费收缴和使用台账", (
        F("日期", "date", True, syn="支出日期 使用日期 时间"),
        F("事项", "text", True, syn="用途 支出事项 开支事项 摘要"),
        F("类别", "enum", True, enum=DUES_USE, syn="支出类别 使用类别 用途类别"),
        F("金额", "money", True, syn="支出金额 使用金额"),
        F("资金来源", "enum", True, enum=FUND_SOURCE, syn="经费来源 来源"),
        F("经办人", "name", True),
        F("审批人", "name", True, syn="批准人"),
        F("凭证号", syn="凭证编号 票据号"),
    ), titles=("党费使用登记", "活动经费使用登记", "经费使用登记表", "党费和活动经费使用登记表"),
       dates=("日期",)),

    Item("D1", "党员联系群众登记", "D 党员联系服务群众台账", (
        F("党员姓名", "name", True, syn="姓名 联系党员"),
        F("联系对象", "text", True, syn="联系群众 群众姓名 服务对象"),
        F("对象类别", "enum", enum=PUBLIC_TYPE, syn="联系对象类别 对象类型"),
        F("联系时间", "date", True, syn="日期 时间 联系日期"),
        F("联系方式", syn="方式 联系形式"),
        F("联系内容", "text", True, syn="内容 服务内容 主要内容"),
        F("办理结果", syn="结果 办理情况"),
    ), titles=("党员联系群众登记表", "联系服务群众登记", "党员联系服务群众"), person="党员姓名",
       dates=("联系时间",)),

    Item("D2", "志愿服务活动记录", "D 党员联系服务群众台账", (
        F("日期", "date", True, syn="活动日期 活动时间 时间"),
        F("活动名称", "text", True, syn="活动 项目名称 服务项目 活动主题"),
        F("地点", syn="活动地点 服务地点"),
        F("参加党员", "names", True, syn="参与党员 参加人员 参加人"),
        F("服务时长（小时）", "hours", True, syn="时长 服务时间 服务小时数"),
        F("受益人数", "int", syn="服务人数 受益群众"),
        F("活动内容", syn="内容 服务内容"),
    ), titles=("志愿服务记录", "志愿服务活动登记表", "志愿服务登记", "服务社区活动", "志愿服务活动"), dates=("日期",)),

    Item("D3", "党员承诺践诺登记", "D 党员联系服务群众台账", (
        F("党员姓名", "name", True, syn="姓名"),
        F("承诺事项", "text", True, syn="承诺内容 承诺"),
        F("承诺时间", "date", True, syn="承诺日期"),
        F("完成时限", "date", syn="时限 完成时间", future=True),
        F("践诺情况", syn="落实情况 完成情况"),
        F("评价", "enum", enum=RATING, syn="评议 评价等次"),
    ), titles=("承诺践诺登记表", "党员承诺践诺"), person="党员姓名", dates=("承诺时间",)),

    Item("D4", "群众意见建议办理登记", "D 党员联系服务群众台账", (
        F("收到日期", "date", True, syn="日期 收到时间 受理日期 提交时间 反映时间"),
        F("提出人", syn="提出人姓名 反映人 提交人姓名 提交人"),
        F("意见建议", "text", True, syn="意见建议内容 意见和建议 意见 建议 反映问题 问题描述"),
        F("办理情况", "text", True, syn="办理结果 处理情况"),
        F("办结日期", "date", syn="办结时间 完成日期"),
        F("反馈情况", syn="反馈 反馈结果"),
    ), titles=("群众意见建议登记表", "意见建议办理登记", "问题墙", "群众诉求登记"), dates=("收到日期",)),

    Item("E1", "支部基本情况", "E 党支部综合台账", (
        F("支部名称", "text", True, syn="党支部名称 党支部 支部 党组织名称 组织名称"),
        F("所属党总支", syn="党总支 上级党组织"),
        F("支部类型", "enum", True, enum=BRANCH_TYPE, syn="党支部类型 类型 党组织类型"),
        F("成立时间", "date", syn="成立日期 党组织成立时间 建立日期"),
        F("书记", "name", True, syn="支部书记 党支部书记 党组织书记"),
        F("副书记", "name", syn="支部副书记"),
        F("组织委员", "name", syn="组织委员姓名"),
        F("宣传委员", "name", syn="宣传委员姓名"),
        F("纪检委员", "name", syn="纪律检查委员 纪检委员姓名"),
        F("本届任期开始", "date", True, syn="任期开始 任期开始时间 本届任期起 换届时间 选举时间"),
        F("本届任期结束", "date", True, syn="任期结束 任期届满时间 本届任期止 任期结束时间", future=True),
        F("党小组数", "int", syn="党小组个数 党小组数量"),
    ), titles=("支部基本情况表", "党支部基本情况", "党支部基本信息", "党组织概况"), state=True,
       note="支部委员会（组织委员、宣传委员）：正式党员7人以上的支部必须设立。"),

    Item("E2", "年度工作计划和总结", "E 党支部综合台账", (
        F("年度", "int", True), F("类型", "enum", True, enum={"计划": ("工作计划",), "总结": ("工作总结",)}),
        F("正文"),
    ), titles=("年度工作计划", "年度工作总结"), form="word"),

    Item("E3", "换届选举记录", "E 党支部综合台账", (
        F("选举日期", "date", True, syn="日期 选举时间 换届日期"),
        F("应到人数", "int", True, syn="应到 应到会人数 有选举权人数"),
        F("实到人数", "int", True, syn="实到 实到会人数 到会人数"),
        F("候选人", "names", syn="候选人名单 候选人姓名"),
        F("当选人及得票", syn="当选人 选举结果 当选人得票"),
        F("上级批复日期", "date", syn="批复日期 批复时间"),
    ), titles=("换届选举登记", "换届选举情况"), dates=("选举日期",)),

    Item("E4", "学习教育记录", "E 党支部综合台账", (
        F("日期", "date", True, syn="学习日期 时间 学习时间"),
        F("学习主题", "text", True, syn="主题 学习内容 内容 专题名称 学习专题"),
        F("形式", "enum", enum=STUDY_FORM, syn="学习形式 方式"),
        F("领学人或主讲人", "name", syn="领学人 主讲人 主讲"),
        F("参加人数", "int", True, syn="人数 参学人数 参加学习人数"),
    ), titles=("学习教育登记表", "学习记录", "学习教育登记", "专题学习"), dates=("日期",)),

    Item("E5", "荣誉表彰登记", "E 党支部综合台账", (
        F("日期", "date", True, syn="表彰日期 获奖日期 时间 奖惩时间"),
        F("荣誉名称", "text", True, syn="荣誉 奖项 表彰名称 奖项名称 荣誉称号 奖惩标题"),
        F("授予单位", "text", True, syn="颁发单位 表彰单位 批准党委 批准单位"),
        F("获奖对象", "text", True, syn="获奖者 获奖人 受表彰对象 表彰对象 党组织名称"),
    ), titles=("荣誉表彰登记表", "荣誉登记", "党组织奖惩", "党组织表彰"), dates=("日期",)),

    Item("E6", "检查整改记录", "E 党支部综合台账", (
        F("检查日期", "date", True, syn="日期 检查时间"),
        F("检查单位", "text", True, syn="检查组 检查部门"),
        F("发现问题", "text", True, syn="存在问题 问题 问题描述"),
        F("整改措施", "text", True, syn="措施 整改办法"),
        F("整改时限", "date", syn="时限 完成时限", future=True),
        F("完成情况", "enum", enum=RECTIFY, syn="整改情况 整改进度 状态"),
        F("责任人", "name", True, syn="整改责任人"),
    ), titles=("检查整改登记", "整改台账", "问题整改登记表"), dates=("检查日期",)),

    Item("F1", "民主测评统计表", "F 述职评议考核", (
        F("测评对象", "name", True, syn="姓名 被测评人 述职人"),
        F("好", "int", True, syn="好票数 优秀"),
        F("较好", "int", True, syn="较好票数 良好"),
        F("一般", "int", True, syn="一般票数"),
        F("差", "int", True, syn="差票数"),
        F("应参评人数", "int", syn="应参加测评人数 应参评"),
        F("实参评人数", "int", syn="实际参评人数 实参评 实参加测评人数 有效票数"),
    ), titles=("民主测评", "民主测评表", "述职评议民主测评统计表"), period="year"),

    Item("W1", "定稿文书", "W 生成文书的定稿", (
        F("文书名称", "text", True), F("年度", "int", True), F("党组织", "text", True),
    ), titles=(), form="word", period="none", record_key=("文书名称", "年度"),
       note="taizhang 生成的草稿（述职报告、问题清单等）填好【请填写】处后放回收件箱，即为定稿，年终归档用定稿。"),

    Item("M1", "月度检查人工评分表", "G 月度检查", (
        F("党支部", "text", True, syn="党支部名称 支部名称 支部"),
        F("检查项编号", "text", True, syn="编号 检查项 序号"),
        F("检查内容", syn="内容 检查项目"),
        F("分值", "score", syn="满分 标准分"),
        F("得分", "score", syn="评分 分数", col=True, hint="未评的项目可以空着"),
        F("检查人", syn="评分人 检查人员"),
        F("说明", syn="备注 扣分原因 情况说明"),
    ), titles=("人工评分表", "月度检查评分表"), college=True,
       note="由检查人员填写“得分”后放入收件箱；表名中写明月份，如“2026年11月月度检查人工评分表”。"),
)

ITEMS: dict[str, Item] = {item.code: item for item in ITEM_LIST}


def fields_item(code: str) -> Item:
    """The item whose fields a record of `code` has: B's for every meeting type."""
    return ITEMS["B"] if code in MEETING_ITEMS else ITEMS[code]
EXCEL_ITEMS = tuple(i for i in ITEM_LIST if i.form in ("excel", "both") and i.code not in MEETING_TYPES)

def recognise_direction(text: str) -> str | None:
    """转入 / 转出 named by a transfer sheet's title ("组织关系转出登记")."""
    text = fold(text or "")
    has_in, has_out = "转入" in text, "转出" in text
    return "转入" if has_in and not has_out else "转出" if has_out and not has_in else None


# Words in a title that are not part of the item name; instructions sheets.
SKIP_SHEETS = ("检查排名", "方面得分", "说明", "填表说明", "填报说明", "使用说明", "目录", "参考", "代码表", "选项", "下拉", "字典", "校验结果")
FOOTER_WORDS = ("合计", "总计", "小计", "填表人", "审核人", "制表人", "负责人", "备注：", "注：", "说明：", "填报人",
                "支部书记签字", "书记签字", "签字", "盖章")


@lru_cache(maxsize=16384)
def _header_key(text: str) -> str:
    text = fold(text)
    text = re.sub(r"[（(\[【][^）)\]】]*[）)\]】]", "", text)   # （必填）（元）
    return re.sub(r"[\s*＊:：_#.、·]", "", text).lower()


def header_key(text) -> str:
    """Normalise a header cell: fold width, drop spaces, line breaks, brackets and marks."""
    return _header_key(str(text or ""))


def _build_label_index():
    """header_key → [(item code, field name)] over every item."""
    index: dict[str, list[tuple[str, str]]] = {}
    for item in ITEM_LIST:
        for fld in item.fields:
            for label in fld.labels:
                index.setdefault(header_key(label), []).append((item.code, fld.name))
    return index


LABEL_INDEX = _build_label_index()

# Columns that name the branch a row belongs to, in forms that are not ours (所在党支部 …). Not a
# field of the ledger: the branch of the file (one value) or of each row (several: split per branch).
BRANCH_COLUMNS = frozenset(header_key(t) for t in (
    "所在党支部", "所属党支部", "所属支部", "所在支部", "党支部名称", "支部名称", "联系党支部", "编入党支部", "党支部",
    "所在组织", "所在党组织", "所属党组织", "党组织名称", "党组织"))

# Required fields that real forms leave out although the information is there (§2 "derive before you
# demand"): field → the column it comes from, "title" (a word of the title), or None (a default).
DERIVED = {
    "A1": {"性别": "身份证号", "出生年月": "身份证号", "人员类别": "转正时间", "党员身份": None},
    "C1": {"党员身份": None, "月应缴党费": "计算基数"},
    "A4": {"转接类型": "title"},
}


MONTH_HEADER = re.compile(r"^(\d{1,2})月(?:份)?(?:实缴|实缴金额|党费)?$")
CN_MONTHS = {n: i + 1 for i, n in enumerate("一二三四五六七八九十")} | {"十一": 11, "十二": 12}


def month_header(key: str) -> int | None:
    """'3月' / '三月' in a C2 year grid → 3."""
    m = MONTH_HEADER.match(re.sub(r"^\d{4}年", "", key))          # "2026年1月" as well as "1月"
    if m and 1 <= int(m[1]) <= 12:
        return int(m[1])
    m = re.match(r"^([一二三四五六七八九十]{1,2})月(?:份)?$", key)
    return CN_MONTHS.get(m[1]) if m else None


def field_for(item: Item, key: str) -> Field | None:
    """The field of `item` a normalised header names, if any."""
    for code, name in LABEL_INDEX.get(key, ()):
        if code == item.code:
            return item.by_name[name]
    return None


@lru_cache(maxsize=4096)
def recognise_title(text: str) -> Item | None:
    """The item a title or sheet name names — the longest name found inside it wins."""
    key = header_key(text)
    if not key:
        return None
    best, best_len = None, 0
    for item in ITEM_LIST:
        if item.form == "word":
            continue
        for title in item.all_titles:
            t = header_key(title)
            if len(t) >= 2 and t in key and len(t) > best_len:
                best, best_len = item, len(t)
    return best
