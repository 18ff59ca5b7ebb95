"""Service-guide schema: the elements of a 政务服务事项实施清单 / 办事指南 as pydantic models.

Every knowledge file (one YAML per slug) validates against one of three entry kinds:
``item`` (a service item), ``event`` (一件事 bundle) or ``faq`` (centre or imported FAQ).
The centre profile lives in ``config.yml`` and validates against :class:`CentreProfile`.
Models are strict (unknown keys are errors) so a typo in a guide never disappears silently.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StringConstraints, field_validator, model_validator

SLUG_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$"
KEY_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
PHONE_PATTERN = re.compile(
    r"^(?:\d{3,5}"  # short service numbers: 12345, 12333, 110, 1999
    r"|0\d{2,3}-?\d{7,8}(?:[-#转]\d{1,6})?"  # landline with area code and optional extension
    r"|1[3-9]\d{9}"  # mobile
    r"|[48]00-?\d{3}-?\d{4})$"  # 400/800 numbers
)
TIME_RANGE_PATTERN = re.compile(r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-4]):[0-5]\d$")

Slug = Annotated[str, StringConstraints(pattern=SLUG_PATTERN)]
Key = Annotated[str, StringConstraints(pattern=KEY_PATTERN)]
Text = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
TimeRange = Annotated[str, StringConstraints(pattern=TIME_RANGE_PATTERN.pattern)]


def range_minutes(time_range: str) -> tuple[int, int]:
    """``"09:00-17:00"`` → ``(540, 1020)``: a TimeRange as minutes since midnight, end exclusive."""
    start, end = (int(clock[:2]) * 60 + int(clock[3:]) for clock in time_range.split("-"))
    return start, end

ItemType = Literal[
    "行政许可", "行政给付", "行政确认", "行政征收", "行政裁决", "行政奖励", "行政检查",
    "行政备案", "其他行政权力", "公共服务",
]
Applicant = Literal["自然人", "法人", "非法人组织"]
TimeUnit = Literal["即办", "工作日", "自然日", "小时"]
OnlineLevel = Literal["全程网办", "部分网办", "网上预约", "不支持"]
Frequency = Literal["high", "normal", "low"]  # how often the centre handles it, against its other guides


class Strict(BaseModel):
    """Base for all knowledge models: unknown keys are rejected, not dropped."""

    model_config = ConfigDict(extra="forbid")


_TIME_LIMIT_TEXT = re.compile(r"^\s*(\d+)\s*个?\s*(工作日|自然日|日|天|小时)\s*$")


def parse_time_limit(text: str) -> dict[str, object]:
    """Turn guide wording such as "20个工作日", "即办", "3天" into ``{value, unit}``."""
    cleaned = text.strip().replace("（", "(").split("(")[0].strip()
    if cleaned in {"即办", "当场办结", "即时办结", "当场", "立即办结"}:
        return {"value": 0, "unit": "即办"}
    match = _TIME_LIMIT_TEXT.match(cleaned)
    if not match:
        raise ValueError(f"无法识别的办理时限：{text!r}（应为“即办”或“N个工作日/自然日/小时”）")
    unit = {"日": "自然日", "天": "自然日"}.get(match.group(2), match.group(2))
    return {"value": int(match.group(1)), "unit": unit}


class TimeLimit(Strict):
    """A time limit with its unit; ``即办`` means done on the spot (value 0)."""

    value: int = Field(ge=0, le=3650)
    unit: TimeUnit
    note: str | None = None

    @model_validator(mode="before")
    @classmethod
    def _accept_text(cls, data: object) -> object:
        return parse_time_limit(data) if isinstance(data, str) else data

    @model_validator(mode="after")
    def _value_matches_unit(self) -> TimeLimit:
        if self.unit == "即办" and self.value != 0:
            raise ValueError("即办的时限数值必须为 0")
        if self.unit != "即办" and self.value == 0:
            raise ValueError(f"时限为 0 时单位应为“即办”，而不是“{self.unit}”")
        return self

    def text(self) -> str:
        """Chinese wording used in answers, e.g. "5个工作日" or "即办"."""
        if self.unit == "即办":
            return "即办（当场办结）"
        return f"{self.value}{'' if self.unit == '小时' else '个'}{self.unit}"


class TimeLimits(Strict):
    """Legal (法定) and promised (承诺) limits; the promise may never exceed the law."""

    legal: TimeLimit
    promised: TimeLimit

    @model_validator(mode="after")
    def _promise_within_law(self) -> TimeLimits:
        if self.legal.unit == self.promised.unit and self.promised.value > self.legal.value:
            raise ValueError("承诺时限不能长于法定时限")
        return self


def check_phone(number: str | None) -> str | None:
    """Validator shared by every phone field: strip, then require a known number shape."""
    if number is None:
        return None
    if not PHONE_PATTERN.match(number.strip()):
        raise ValueError(f"电话号码格式不正确：{number!r}")
    return number.strip()


class Phone(Strict):
    """A labelled, well-formed phone number."""

    label: Text
    number: str

    _well_formed = field_validator("number")(check_phone)


class Phones(Strict):
    consultation: list[Phone] = Field(min_length=1)
    complaint: list[Phone] = Field(min_length=1)


class Material(Strict):
    """One application material: how many originals/copies, whether electronic works."""

    name: Text
    key: Key | None = None  # referenced by situation options
    originals: int = Field(default=0, ge=0, le=20)  # 原件份数（核验或收取）
    copies: int = Field(default=0, ge=0, le=20)  # 复印件份数
    electronic: bool = False  # 可提交电子证照/电子材料
    requirement: Literal["required", "optional", "conditional"] = "required"
    condition: str | None = None  # when conditional: in which case it is needed
    source: str | None = None  # 申请人自备 / 窗口领取 / 部门核发 / 数据共享免提交
    shared: bool = False  # obtainable by data sharing, citizen need not bring it (免提交)
    tolerance: bool = False  # 容缺受理: may be supplied after acceptance
    template: str | None = None  # 空白表格或示例样表的文件名或链接
    notes: str | None = None

    @model_validator(mode="after")
    def _has_a_form(self) -> Material:
        if not (self.originals or self.copies or self.electronic or self.shared):
            raise ValueError(f"材料“{self.name}”未说明原件/复印件份数、电子材料或免提交")
        if self.requirement == "conditional" and not self.condition:
            raise ValueError(f"材料“{self.name}”为情形必需，须填写 condition")
        return self

    def form_text(self) -> str:
        """Chinese description of form and count: "原件1份、复印件1份（可用电子证照）"."""
        parts = []
        if self.originals:
            parts.append(f"原件{self.originals}份")
        if self.copies:
            parts.append(f"复印件{self.copies}份")
        text = "、".join(parts)
        if self.electronic:
            text = f"{text}（可用电子材料）" if text else "电子材料"
        if self.shared:
            text = f"{text}（可数据共享免提交）" if text else "数据共享免提交"
        return text


class Step(Strict):
    name: Text
    description: str | None = None
    item: Slug | None = None  # in an event: which bundled item this step belongs to


class FeeItem(Strict):
    name: Text
    amount: float = Field(ge=0)
    unit: str = "元"
    basis: str | None = None


class Fee(Strict):
    """Fees, or an explicit 不收费."""

    free: bool
    items: list[FeeItem] = []
    note: str | None = None

    @model_validator(mode="after")
    def _consistent(self) -> Fee:
        if self.free and self.items:
            raise ValueError("free 为 true 时不应列出收费项目")
        if not self.free and not self.items:
            raise ValueError("收费事项须列出至少一个收费项目")
        return self


class Location(Strict):
    window: Text  # 窗口，如“B区 公安综合窗口（12-15号）”
    hall: str | None = None  # 楼层/区域
    address: str | None = None  # 不填则为中心地址
    note: str | None = None


class Hours(Strict):
    """Opening hours: ranges "HH:MM-HH:MM"; an empty Saturday list means closed."""

    weekdays: list[TimeRange] = Field(min_length=1)
    lunch_continuous: bool = False  # 午间不间断服务
    saturday: list[TimeRange] = []
    sunday: list[TimeRange] = []
    holidays: str = "法定节假日休息"
    note: str | None = None


class Online(Strict):
    level: OnlineLevel
    url: str | None = None  # 网办入口
    mobile: str | None = None  # 掌办入口（小程序/App 路径）
    note: str | None = None

    @field_validator("url")
    @classmethod
    def _http_url(cls, url: str | None) -> str | None:
        if url is not None and not re.match(r"^https?://[^\s/]+\S*$", url):
            raise ValueError(f"网办链接必须是 http(s) 地址：{url!r}")
        return url


class Practices(Strict):
    """Service practices a centre advertises for this item."""

    tolerance_acceptance: bool = False  # 容缺受理
    commitment: bool = False  # 告知承诺制
    cross_province: bool = False  # 跨省通办
    proxy_service: bool = False  # 帮办代办
    mail_delivery: bool = False  # 证照免费邮寄
    self_service: bool = False  # 24小时自助办理
    first_inquiry: bool = True  # 首问负责
    note: str | None = None


class FaqPair(Strict):
    q: Text
    a: Text


class SituationOption(Strict):
    """One answer to a situation question and how it changes the guide."""

    key: Key
    label: Text
    aliases: list[Text] = []  # how a citizen types this answer (外地户口, 老家在外省 for 外省市户籍)
    add_materials: list[Material] = []
    remove_materials: list[Key] = []
    add_conditions: list[str] = []
    notes: list[str] = []


class Situation(Strict):
    """A question (情形) whose answer tailors materials and conditions."""

    key: Key
    question: Text
    options: list[SituationOption] = Field(min_length=2)

    @model_validator(mode="after")
    def _unique_option_keys(self) -> Situation:
        keys = [option.key for option in self.options]
        if len(keys) != len(set(keys)):
            raise ValueError(f"情形“{self.question}”的选项 key 重复")
        return self


class EntryBase(Strict):
    slug: Slug
    name: Text
    aliases: list[Text] = []
    examples: list[Text] = []  # example questions; NLU training data
    version: date  # 版本日期, cited in every answer
    sample: bool = True  # sample content written for a typical centre, not an official guide
    # 高频事项: the centre's commonest errands are shown on its home page and offered first when
    # the assistant asks back among guides that fit a question equally well (身份证: 补领 before 临时)
    frequency: Frequency = "normal"
    source: str | None = None  # where the guide came from (for imported entries)
    extra: dict[str, str] = {}  # source columns or headings we do not model, kept verbatim


class ServiceItem(EntryBase):
    """A service item (政务服务事项) with everything a one-shot answer needs."""

    kind: Literal["item"] = "item"
    code: Text  # 事项编码
    item_type: ItemType
    department: Text  # 实施主体
    legal_basis: list[Text] = Field(min_length=1)  # 设定依据
    applicants: list[Applicant] = Field(min_length=1)  # 服务对象
    conditions: list[Text] = Field(min_length=1)  # 受理条件
    materials: list[Material] = Field(min_length=1)
    situations: list[Situation] = []
    process: list[Step] = Field(min_length=1)
    time_limit: TimeLimits
    fee: Fee
    location: Location
    hours: Hours | None = None  # None: the centre's hours
    online: Online
    visits: int = Field(ge=0, le=10)  # 到现场次数
    phones: Phones
    faq: list[FaqPair] = []
    practices: Practices = Practices()

    @model_validator(mode="after")
    def _situations_reference_known_materials(self) -> ServiceItem:
        keys = [material.key for material in self.materials if material.key]
        if len(keys) != len(set(keys)):
            raise ValueError("材料 key 重复")
        situation_keys = [situation.key for situation in self.situations]
        if len(situation_keys) != len(set(situation_keys)):
            raise ValueError("情形 key 重复")
        for situation in self.situations:
            for option in situation.options:
                unknown = set(option.remove_materials) - set(keys)
                if unknown:
                    raise ValueError(
                        f"情形“{situation.key}/{option.key}”移除了不存在的材料 key：{sorted(unknown)}"
                    )
        return self


class LifeEvent(EntryBase):
    """A 一件事 bundle: one window, one merged material list, a combined time limit."""

    kind: Literal["event"] = "event"
    department: Text  # 牵头部门
    description: Text
    items: list[Slug] = Field(min_length=2)
    window: Location
    steps: list[Step] = Field(min_length=1)
    time_limit: TimeLimit  # combined
    extra_materials: list[Material] = []  # event-level forms, e.g. 一件事联办申请表
    fee: Fee
    online: Online
    visits: int = Field(ge=0, le=10)
    phones: Phones
    faq: list[FaqPair] = []


class FaqEntry(EntryBase):
    """A centre FAQ or an imported FAQ row."""

    kind: Literal["faq"] = "faq"
    answer: str = ""  # imported sources can lack one; answers then say so instead of inventing
    department: str | None = None
    keywords: list[str] = []
    phones: list[Phone] = []
    contact: str | None = None  # contact text that is not one well-formed number, kept verbatim
    related: list[Slug] = []
    # A service this centre does not handle (考驾照, 律师执业证): its answer says who does. The bot
    # treats it as "no guide covers this" and adds the pointer (knowledge/data/elsewhere/).
    handled_elsewhere: bool = False


Entry = Annotated[ServiceItem | LifeEvent | FaqEntry, Field(discriminator="kind")]


class Desk(Strict):
    location: Text
    phone: str | None = None
    hours: str | None = None
    note: str | None = None

    _well_formed = field_validator("phone")(check_phone)


class CentreProfile(Strict):
    """The service hall itself: address, hours, hotline, desks."""

    name: Text
    address: Text
    transport: list[Text] = []
    parking: str | None = None
    hours: Hours
    holidays: Text
    closed_days: list[date] = []  # 法定节假日 and any other day the hall is closed
    makeup_workdays: list[date] = []  # 调休上班日: weekend days that keep weekday hours
    hotline: Phone  # 12345
    consultation: Phone
    proxy_desk: Desk  # 帮办代办
    self_service: Desk  # 24小时自助服务区
    lockers: Desk  # 自助取件柜
    website: str | None = None
    sample: bool = True

    def opening_hours(self, day: date) -> list[TimeRange]:
        """The day's opening ranges: none on a closed day, weekday hours on a 调休上班日."""
        if day in self.closed_days:
            return []
        if day.weekday() < 5 or day in self.makeup_workdays:
            return self.hours.weekdays
        return self.hours.saturday if day.weekday() == 5 else self.hours.sunday
