"""The pages' own words (not the deployment's labels) in Chinese and English.

Keys are the English text; a missing Chinese entry shows the English. Messages from
field validators arrive in English and are translated here too, by exact text or pattern.
"""

from __future__ import annotations

import re

ZH: dict[str, str] = {
    "Sign in": "登录", "Sign out": "退出", "Username": "用户名", "Password": "密码",
    "The username or password is wrong.": "用户名或密码不正确。",
    "Too many failed attempts: this account is locked for 15 minutes.":
        "失败次数过多：该账号已锁定 15 分钟。",
    "Your form expired or was sent from elsewhere; please try again.":
        "表单已过期或来源不明，请重试。",
    "Home": "首页", "Registers": "台账", "Records": "条", "Report": "上报", "New": "新建",
    "Edit": "编辑", "Save": "保存", "Cancel": "取消", "Search": "搜索", "Filter": "筛选",
    "Clear": "清除", "Export CSV": "导出 CSV", "Export Excel": "导出 Excel", "Area": "区域",
    "All": "全部", "State": "状态", "Category": "类别", "Severity": "等级",
    "Created from": "创建自", "Created to": "创建至", "Created": "创建时间",
    "Updated": "更新时间", "Sort": "排序", "Newest first": "最新在前",
    "Oldest first": "最早在前", "Previous": "上一页", "Next": "下一页",
    "Page {page} of {pages}": "第 {page} / {pages} 页", "{count} records": "共 {count} 条",
    "No records match.": "没有符合条件的记录。", "Free text": "关键词",
    "Please correct the marked fields.": "请修改标出的字段。", "Saved.": "已保存。",
    "History": "历史", "Yes": "是", "No": "否", "Latitude": "纬度", "Longitude": "经度",
    "Pick on the map": "在地图上选点", "Kept": "已保留", "Choose…": "请选择…",
    "Not found": "未找到", "Not allowed": "无权访问",
    "The page does not exist, or is not yours to see.": "页面不存在，或您无权查看。",
    "Your roles do not allow this.": "您的角色无权进行此操作。",
    "Signed in as": "当前用户", "Your registers": "我的台账", "Location": "所在位置",
    "created": "创建", "edited": "编辑", "by": "由",
    "Back to the list": "返回列表", "Apply": "应用", "open": "办理中", "overdue": "已超时",
    # Field validators' messages (forms.fieldtypes, forms.messages).
    "required": "必填", "a single value is needed": "只能填写一个值",
    "a whole number is needed": "请填写整数", "a number is needed": "请填写数字",
    "yes or no is needed": "请选择是或否",
    "a date like 2026-10-01 is needed": "请填写日期，如 2026-10-01",
    "a date and time like 2026-10-01 09:30 is needed": "请填写日期时间，如 2026-10-01 09:30",
    "not a phone number": "不是电话号码", "not a valid phone number": "电话号码无效",
    "not an e-mail address": "不是电子邮件地址", "not in the expected format": "格式不正确",
    "a point 'latitude, longitude' is needed": "请填写坐标（纬度, 经度）",
    "latitude must lie within ±90 and longitude within ±180": "纬度须在 ±90、经度须在 ±180 之内",
    "pick a record": "请选择记录", "a value is needed": "请填写",
    "already used by another record": "已被其他记录使用",
    "not within your area": "不在您的管辖范围内", "not at the right level": "层级不符",
    "no such user": "没有该用户", "no such record": "没有该记录",
    "only JPEG, PNG or WebP images": "只接受 JPEG、PNG 或 WebP 图片",
    "larger than {size}": "超过 {size}", "one file only": "只能上传一个文件",
}
_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"^at least (\d+) characters$"), "至少 {0} 个字符"),
    (re.compile(r"^at most (\d+) characters$"), "最多 {0} 个字符"),
    (re.compile(r"^must be at least (.+)$"), "不能小于 {0}"),
    (re.compile(r"^must be at most (.+)$"), "不能大于 {0}"),
    (re.compile(r"^'(.*)' is not one of the options$"), "“{0}”不是可选项"),
    (re.compile(r"^not a valid ID-card number: (.+)$"), "身份证号码无效"),
    (re.compile(r"^not a valid unified social credit code: (.+)$"), "统一社会信用代码无效"),
    (re.compile(r"^larger than (.+)$"), "超过 {0}"),
)


def translate(text: str, locale: str, **params: object) -> str:
    """``text`` in ``locale`` with ``{name}`` placeholders filled."""
    if locale == "zh":
        found = ZH.get(text)
        if found is None:
            for pattern, template in _PATTERNS:
                match = pattern.match(text)
                if match:
                    found = template.format(*match.groups())
                    break
        text = found or text
    return text.format(**params) if params else text
