"""The dashboard's words in English and Simplified Chinese (the working languages).

Domain labels (stages, milestones, records, alerts, channels...) come from the message templates'
``labels.json`` so a stage has one name everywhere; the rest of the page's words are here.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

LANGUAGES = {"en": "English", "zh": "中文"}
HTML_LANG = {"en": "en", "zh": "zh-Hans"}
_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"

WORDS: dict[str, dict[str, str]] = {
    "en": {
        "app": "Waypoint Journeys", "today": "Today", "journeys": "Journeys", "sign_in": "Sign in",
        "sign_out": "Sign out", "account": "Coordinator id", "password": "Password",
        "bad_login": "Wrong coordinator id or password.", "signed_in_as": "Signed in as",
        "mine": "My families", "all": "All families", "needs_person": "Families who need a person today",
        "nothing_today": "Nobody needs you right now.", "reasons": "Why", "stage": "Stage",
        "pathway": "Pathway", "coordinator": "Coordinator", "search": "Search by case reference",
        "find": "Find", "count": "journeys", "all_stages": "All stages", "no_journeys": "No journeys.",
        "status": "Status", "paused": "Paused", "closed": "Closed", "overdue": "Overdue", "open": "Open",
        "journey": "Journey", "timeline": "The journey", "done": "done", "current": "now here", "ahead": "ahead",
        "ready": "ready", "waiting_for": "waiting for", "then": "then",
        "records": "Records", "record": "Record", "holder": "Held by", "asked_of": "Asked of",
        "reminders": "Reminders sent", "next_reminder": "Next reminder", "deadline": "Deadline",
        "escalated": "Escalated", "actions": "Actions", "mark": "Mark", "received": "received",
        "accept": "accept", "reject": "reject", "waive": "waive", "reason": "Reason", "apply": "Apply",
        "messages": "Messages", "event": "Event", "recipient": "To", "channel": "Channel",
        "sent_at": "Sent", "delivery": "Delivery", "no_messages": "No messages yet.",
        "partial": "Messages and the timeline cannot be read right now (no worker answered). "
                   "The rest is the status the journey last published.",
        "consent": "Consent to inform the local team", "yes": "yes", "no": "no", "record_consent": "Record consent",
        "withdraw_consent": "Withdraw consent", "opt_outs": "Opted out", "none": "none",
        "milestone": "Record milestone", "record_it": "Record", "outcome": "Outcome",
        "eligible": "Eligible", "visa_type": "Visa type", "applicant": "Applicant", "expires_on": "Expires on",
        "on_date": "Date", "day": "Day", "details_hint": "Fill in only what this milestone needs; a refusal says what is missing.",
        "done_apply-milestone": "Milestone recorded.",
        "advance": "Advance to", "move": "Move", "pause": "Pause", "resume": "Resume", "close": "Close journey",
        "note": "Note (optional)", "confirm_close": "Close this journey?",
        "confirm_close_text": "Closing is final: every scheduled message is cancelled and no automated message will go out again.",
        "confirm": "Yes, close it", "cancel": "Cancel", "refused": "Refused",
        "alerts": "Open alerts", "scheduled": "Scheduled messages", "not_before": "not before",
        "language": "Language", "not_found": "No journey with that case reference.",
        "done_received": "Record marked received.", "done_review-record": "Record decision saved.",
        "done_advance-stage": "Stage changed.", "done_pause": "Journey paused.", "done_resume": "Journey resumed.",
        "done_close": "Journey closed. Nothing more will be sent.", "done_set-consent": "Consent saved.",
        "csrf": "This form has expired. Please try again.",
        "r_escalated": "escalated", "r_overdue": "records overdue", "r_deadline": "records due this week",
        "r_delivery": "a message could not be delivered", "r_visa": "a visa expires too soon",
        "r_ready": "records ready for review", "r_paused": "paused",
        "unavailable": "The journey service did not answer. Try again shortly.",
    },
    "zh": {
        "app": "Waypoint 就医旅程", "today": "今日", "journeys": "全部旅程", "sign_in": "登录",
        "sign_out": "退出", "account": "协调员编号", "password": "密码",
        "bad_login": "协调员编号或密码错误。", "signed_in_as": "当前用户",
        "mine": "我负责的家庭", "all": "所有家庭", "needs_person": "今天需要人工处理的家庭",
        "nothing_today": "目前没有需要您处理的事项。", "reasons": "原因", "stage": "阶段",
        "coordinator": "协调员", "search": "按病例编号搜索",
        "find": "查找", "count": "个旅程", "all_stages": "所有阶段", "no_journeys": "没有旅程。",
        "status": "状态", "paused": "已暂停", "closed": "已结案", "overdue": "逾期", "open": "进行中",
        "journey": "旅程", "timeline": "旅程进度", "done": "已完成", "current": "当前阶段", "ahead": "未开始",
        "ready": "可以进入", "waiting_for": "尚需", "then": "下一步",
        "records": "病历资料", "record": "资料", "holder": "持有方", "asked_of": "催办对象",
        "reminders": "已发提醒", "next_reminder": "下次提醒", "deadline": "截止时间",
        "escalated": "已升级", "actions": "操作", "mark": "标记", "received": "已收到",
        "accept": "接受", "reject": "退回", "waive": "免除", "reason": "原因", "apply": "提交",
        "messages": "消息", "event": "事件", "recipient": "收件人", "channel": "渠道",
        "sent_at": "发送时间", "delivery": "送达情况", "no_messages": "尚无消息。",
        "partial": "暂时无法读取消息和时间线（没有工作进程响应）。其余内容为该旅程最近发布的状态。",
        "consent": "告知当地医疗团队的同意", "yes": "是", "no": "否", "record_consent": "记录同意",
        "withdraw_consent": "撤回同意", "opt_outs": "已退订", "none": "无",
        "milestone": "记录里程碑", "record_it": "记录", "outcome": "评估结论", "pathway": "治疗路径",
        "eligible": "是否符合条件", "visa_type": "签证类型", "applicant": "申请人", "expires_on": "到期日",
        "on_date": "日期", "day": "天数", "details_hint": "只需填写该里程碑需要的信息；如被拒绝，会提示缺少什么。",
        "done_apply-milestone": "里程碑已记录。",
        "advance": "进入阶段", "move": "变更", "pause": "暂停", "resume": "恢复", "close": "结案",
        "note": "备注（可选）", "confirm_close": "确定结案吗？",
        "confirm_close_text": "结案后不可恢复：所有待发消息将被取消，之后不会再自动发送任何消息。",
        "confirm": "确定结案", "cancel": "取消", "refused": "未能执行",
        "alerts": "未处理的提醒", "scheduled": "待发消息", "not_before": "最早",
        "language": "语言", "not_found": "没有该病例编号的旅程。",
        "done_received": "已标记为收到。", "done_review-record": "资料审核结果已保存。",
        "done_advance-stage": "阶段已变更。", "done_pause": "旅程已暂停。", "done_resume": "旅程已恢复。",
        "done_close": "旅程已结案，不会再发送任何消息。", "done_set-consent": "同意状态已保存。",
        "csrf": "表单已过期，请重试。",
        "r_escalated": "已升级处理", "r_overdue": "资料逾期", "r_deadline": "本周资料截止",
        "r_delivery": "消息未能送达", "r_visa": "签证到期过早",
        "r_ready": "资料已齐，待评估", "r_paused": "已暂停",
        "unavailable": "旅程服务暂时没有响应，请稍后重试。",
    },
}

# Words for enums the message templates do not name.
ENUMS: dict[str, dict[str, dict[str, str]]] = {
    "en": {
        "pathways": {"second_opinion": "second opinion", "transplant": "transplant", "car_t": "CAR-T"},
        "close_reasons": {"completed": "completed", "family_declined": "family declined",
                          "not_a_candidate": "not a candidate", "not_eligible": "not eligible",
                          "chose_local_treatment": "chose local treatment", "lost_contact": "lost contact",
                          "child_died": "the child died", "other": "other"},
        "pause_reasons": {"child_admitted_locally": "child admitted locally", "family_needs_time": "family needs time",
                          "awaiting_funds": "awaiting funds", "other": "other"},
        "record_status": {"requested": "requested", "received": "received", "accepted": "accepted",
                          "rejected": "rejected", "waived": "waived"},
        "holders": {"family": "family", "local_team": "local team"},
        "message_status": {"scheduled": "scheduled", "sending": "sending", "sent": "sent", "failed": "failed",
                           "skipped": "skipped", "cancelled": "cancelled"},
    },
    "zh": {
        "pathways": {"second_opinion": "第二诊疗意见", "transplant": "造血干细胞移植", "car_t": "CAR-T"},
        "close_reasons": {"completed": "已完成", "family_declined": "家庭放弃", "not_a_candidate": "不适合",
                          "not_eligible": "评估不符合", "chose_local_treatment": "选择在当地治疗",
                          "lost_contact": "失去联系", "child_died": "患儿离世", "other": "其他"},
        "pause_reasons": {"child_admitted_locally": "患儿在当地住院", "family_needs_time": "家庭需要时间",
                          "awaiting_funds": "等待资金", "other": "其他"},
        "record_status": {"requested": "待提供", "received": "已收到", "accepted": "已接受",
                          "rejected": "已退回", "waived": "已免除"},
        "holders": {"family": "家庭", "local_team": "当地医疗团队"},
        "message_status": {"scheduled": "待发送", "sending": "发送中", "sent": "已发送", "failed": "发送失败",
                           "skipped": "已跳过", "cancelled": "已取消"},
    },
}


@cache
def labels(lang: str) -> dict[str, dict[str, str]]:
    data = json.loads((_TEMPLATES / lang / "labels.json").read_text(encoding="utf-8"))
    return {**data, **ENUMS[lang]}


class Words:
    """``t.word("today")`` and ``t.label("stages", "eligibility")``, falling back to English."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else "en"
        self.html_lang = HTML_LANG[self.lang]

    def __getattr__(self, name: str) -> str:
        return self.word(name)

    def word(self, key: str) -> str:
        return WORDS[self.lang].get(key) or WORDS["en"].get(key) or key

    def label(self, group: str, code: object) -> str:
        value = str(getattr(code, "value", code))
        return labels(self.lang).get(group, {}).get(value) or labels("en").get(group, {}).get(value) or value.replace("_", " ")
