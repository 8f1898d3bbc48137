"""The built-in message templates, offered through `gridwork_message_templates` like a
plugin's: reminders and escalations that name none, transition notices and
`gridwork notify test`. A deployment's `notifications: templates:` of the same name win."""

from __future__ import annotations

from .config.models.outputs import MessageTemplate
from .config.types import Label
from .plugins import hookimpl

TEMPLATES: dict[str, MessageTemplate] = {
    "reminder": MessageTemplate(
        subject=Label(zh="【催办】{{ record.title | default('待办事项') }} 将于 {{ deadline }} 到期",
                      en="[Reminder] {{ record.title | default('Item') }} is due {{ deadline }}"),
        body=Label(zh="您有一件事项即将到期（{{ deadline }}），请尽快处理：{{ link }}",
                   en="An item of yours is due {{ deadline }}. Please handle it: {{ link }}")),
    "escalation": MessageTemplate(
        subject=Label(zh="【督办】{{ record.title | default('事项') }} 已超时",
                      en="[Overdue] {{ record.title | default('Item') }}"),
        body=Label(zh="该事项已超过办理时限（{{ deadline }}），第{{ step }}级督办：{{ link }}",
                   en="This item passed its time limit ({{ deadline }}); escalation step "
                      "{{ step }}: {{ link }}")),
    "notice": MessageTemplate(
        subject=Label(zh="【通知】{{ record.title | default('事项') }}：{{ step }}",
                      en="[Notice] {{ record.title | default('Item') }}: {{ step }}"),
        body=Label(zh="事项有新进展（{{ step }}），请查看：{{ link }}",
                   en="An item has moved on ({{ step }}). Open: {{ link }}")),
    "duty_overdue": MessageTemplate(
        subject=Label(zh="【逾期任务】{{ count }} 项任务已逾期未完成",
                      en="[Missed] {{ count }} duties are overdue"),
        body=Label(zh="以下任务已超过完成时限：{% if duties %}{% for name, n in duties.items() %}"
                      "{{ name }} {{ n }} 项；{% endfor %}{% endif %}请查看：{{ link }}",
                   en="These duties passed their due time: {% if duties %}"
                      "{% for name, n in duties.items() %}{{ name }}: {{ n }}; {% endfor %}"
                      "{% endif %}Open: {{ link }}")),
    "assessment_consequence": MessageTemplate(
        subject=Label(zh="【考核】{{ subject }}：{{ consequence }}",
                      en="[Assessment] {{ subject }}: {{ consequence }}"),
        body=Label(zh="{{ period }} 考核结果：{{ subject }} {{ consequence }}（{{ rule }}）。"
                      "请查看考核表：{{ link }}",
                   en="Assessment {{ period }}: {{ subject }} — {{ consequence }} ({{ rule }}). "
                      "Open the sheet: {{ link }}")),
    "test": MessageTemplate(
        subject=Label(zh="【测试】{{ title }} 消息通道测试", en="[Test] {{ title }} channel test"),
        body=Label(zh="这是一条测试消息，发送时间 {{ now }}，通道：{{ channel }}。",
                   en="This is a test message, sent {{ now }} through channel {{ channel }}.")),
}


@hookimpl
def gridwork_message_templates() -> dict[str, MessageTemplate]:
    """The built-in templates by name."""
    return TEMPLATES
