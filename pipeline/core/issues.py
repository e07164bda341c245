"""Issues (bad data, collected, never raised) and PipelineError (environment and bugs).

An `Issue` is what a user reads in a receipt: where (sheet, cell, column as they wrote
it), what (the value), why (a Chinese message) and how to fix it (a hint). Codes are
stable kebab-case identifiers; `CODES` is the catalogue shown in docs and receipts.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass


def column_letter(index: int) -> str:
    """1 → A, 27 → AA (as Excel names columns). Here, not openpyxl's: the CLI starts without it."""
    letters = ""
    while index > 0:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


ERROR = "error"
WARNING = "warning"
SEVERITIES = (ERROR, WARNING)


class PipelineError(Exception):
    """The environment failed (disk, database, LibreOffice) — not the user's data."""


@dataclass(frozen=True, slots=True)
class Issue:
    code: str
    severity: str
    message: str
    sheet: str | None = None
    cell: str | None = None
    column: str | None = None
    value: str | None = None
    hint: str | None = None
    row: int | None = None

    def __post_init__(self):
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity must be ERROR or WARNING, not {self.severity!r}")

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def where(self) -> str:
        """'花名册!E12' — the cell reference a user can type into Excel's name box."""
        if self.sheet and self.cell:
            return f"{self.sheet}!{self.cell}"
        if self.sheet and self.row:
            return f"{self.sheet} 第{self.row}行"
        return self.sheet or self.cell or ""

    def text(self) -> str:
        """One line for a text receipt."""
        head = "错误" if self.is_error else "提示"
        parts = [f"[{head}]"]
        where = self.where()
        if where:
            parts.append(where)
        if self.column:
            parts.append(f"（{self.column}）")
        line = " ".join(parts[:2]) + (parts[2] if len(parts) > 2 else "")
        line += f"：{self.message}" if len(parts) > 1 else f" {self.message}"
        if self.value not in (None, ""):
            line += f" 〔填写内容：{self.value}〕"
        if self.hint:
            line += f" 提示：{self.hint}"
        return line

    def masked(self) -> "Issue":
        """The issue as it may circulate (the 台账总览, a 催交通知): the value quoted from a personal
        column masked whatever its shape, ID and mobile numbers in the text masked."""
        from dataclasses import replace
        from pipeline.core.values import PERSONAL_COLUMNS, mask_text, mask_value
        personal = any(word in (self.column or "") for word in PERSONAL_COLUMNS)
        value = mask_value(self.value) if personal and self.value not in (None, "") else \
            (mask_text(self.value) if isinstance(self.value, str) else self.value)
        return replace(self, value=value, message=mask_text(self.message),
                       hint=mask_text(self.hint) if self.hint else self.hint)

    def brief(self) -> str:
        """Where and what, without the value quoted or the hint: '花名册!F5（身份证号）：…'."""
        where = self.where() + (f"（{self.column}）" if self.column else "")
        return f"{where}：{self.message}" if where else self.message

    def as_dict(self) -> dict:
        d = asdict(self)
        d.pop("row")
        return d


def cell_ref(column: int | None, row: int | None) -> str | None:
    if not column or not row:
        return None
    return f"{column_letter(column)}{row}"


def show_value(value) -> str | None:
    """How a raw cell value is quoted back to the user."""
    if value is None:
        return None
    if hasattr(value, "isoformat"):
        text = value.isoformat()
        return text[:10] if text.endswith("T00:00:00") else text
    text = str(value)
    return text if len(text) <= 60 else text[:57] + "…"


# The catalogue of codes: a short Chinese title each (receipts, docs, tests).
CODES = {
    # file level
    "file-empty": "空文件",
    "file-corrupt": "文件已损坏或无法读取",
    "file-not-excel": "文件内容不是 Excel 工作簿",
    "file-encrypted": "文件设有密码",
    "file-too-large": "文件过大",
    "file-legacy-format": "旧版格式需转换",
    "file-unsupported": "不支持的文件类型",
    "file-not-regular": "不是普通文件",
    "duplicate-file": "重复提交",
    "no-ledger": "未识别出任何台账",
    "item-unclear": "无法确定是哪一类台账",
    "draft-unfinished": "草稿还有未填写处",
    "branch-conflict": "党支部前后不一致",
    "ledger-shrinks": "新表比已入库的少了人",
    "derived": "由其他信息推算的列",
    "row-skipped": "不是数据的行",
    "column-unknown": "未识别的列",
    "internal-error": "系统处理出错",
    # sheet level
    "sheet-skipped": "工作表已跳过",
    "no-header": "找不到表头",
    "missing-column": "缺少必填列",
    "no-branch": "无法确定党支部",
    "unknown-branch": "党支部未登记",
    "no-registry": "尚未登记党组织设置",
    "no-period": "无法确定年度/月份",
    "no-data": "没有数据行",
    "no-data-state": "现状类台账没有数据行",
    "no-body": "会议记录没有正文",
    "no-photo": "会议记录没有照片",
    "picture-format": "照片格式无法转换",
    "too-many-rows": "行数过多",
    # cell level
    "required": "必填项为空",
    "bad-name": "姓名无效",
    "bad-date": "日期无效",
    "bad-month": "月份无效",
    "bad-period": "所属期间无法识别",
    "date-month-only": "日期只写到月",
    "bad-int": "整数无效",
    "bad-money": "金额无效",
    "bad-percent": "比例无效",
    "bad-enum": "不在可选值中",
    "bad-id-card": "身份证号无效",
    "bad-phone": "电话号码无效",
    "bad-bool": "是/否无效",
    "formula-no-value": "公式没有计算结果",
    "cell-error": "单元格错误值",
    "future-date": "日期晚于提交日",
    # rules
    "duplicate-row": "重复记录",
    "date-order": "日期先后顺序不对",
    "under-18": "入党时未满18周岁",
    "probation-period": "预备期不符合规定",
    "probation-extension": "延长预备期不符合规定",
    "probation-overdue": "预备期已满未转正",
    "full-member-no-date": "正式党员缺转正时间",
    "probationary-with-date": "预备党员不应有转正时间",
    "id-card-mismatch": "身份证号与出生年月/性别不一致",
    "attendance-exceeds": "实到人数多于应到人数",
    "quorum": "到会人数不足",
    "vote-not-passed": "表决票数未过半",
    "attendance-roster": "应到人数与花名册不符",
    "not-in-roster": "不在本支部花名册中",
    "no-roster": "未找到本支部花名册",
    "dues-mismatch": "月应缴党费与规定不符",
    "dues-no-base": "计算基数为0",
    "other-year": "不属于本表年度",
    "dues-rate-mismatch": "缴纳比例与规定不符",
    "dues-underpaid": "少缴党费",
    "dues-unpaid-6-months": "连续6个月未交纳党费",
    "dues-large-voluntary": "单笔自愿多交1000元以上",
    "dues-lump-sum": "一次补交/预交超过6个月",
    "dues-no-approval": "减免缺批准文号",
    "count-mismatch": "人数合计不符",
    "election-quorum": "选举到会人数不足4/5",
    "term-too-long": "任期超过3年",
    "term-expired": "支部换届到期",
    "committee-missing": "应设支部委员会",
    "introducers": "入党介绍人应为2名",
    "activist-too-short": "培养考察期不足1年",
    "too-few-members": "党员人数不足3人",
}
