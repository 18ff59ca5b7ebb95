"""What the bot says when it does not answer from a guide. Numbers come from the centre profile."""

from __future__ import annotations

from knowledge.answer import hours_lines
from knowledge.schema import CentreProfile

SMALLTALK = {
    "greet": "您好！我是{centre}的导办助手，可以告诉您办事要带什么材料、去哪个窗口、多久能办好。请问您要办什么事？",
    "thank": "不客气！还有其他要办的事可以随时问我。",
    "goodbye": "好的，再见！祝您办事顺利。",
    "affirm": "好的。还有其他要办的事，可以随时问我。",  # 好的/知道了 with no question of the bot's pending
    "bot_identity": ("我是{centre}的导办助手（智能机器人），根据中心的办事指南回答办事问题；"
                     "需要时可以帮您转人工或转12345热线。"),
}
CLARIFY = "请问您要办理的是下面哪一项？"
CLARIFY_ONE = "请问您要办理的是“{name}”吗？"
CLARIFY_MORE = "\n相关的还有：{names}。如是其中之一，直接回复名称即可。"
NOT_THESE = "都不是"
NO_CONTEXT = "请问您要办理什么事项？例如“身份证补办”“公积金提取”。"
DECLINED = "好的。请换个说法告诉我您要办的事，例如“给孩子上户口”“营业执照变更”。"
OFFER_PERSON = "抱歉，我好像没能帮上您。您可以转人工服务，或把问题提交给{hotline}（{number}）："
TO_AGENT = "转人工服务"
USEFUL_YES, USEFUL_NO = "有用", "没用"
THANKS_FOR_FEEDBACK = "感谢您的评价，我们会持续改进服务。"
NOT_USEFUL = "抱歉这条答复没能帮上您。您可以换个说法再问，或者："
TAKEN_OVER = "工作人员{agent}已接入，请直接说明您的问题。"
HANDED_BACK = "人工服务已结束，智能助手继续为您服务。还有其他问题可以随时问我。"
FORM_NEEDS_ITEM = "请先告诉我您要办理的事项，例如“预约补办身份证”“申请帮办营业执照”。"
FORM_START = "好的，现在填写{title}（事项：{item}）。随时回复“取消”可以退出。"
FORM_CANCELLED = "已取消{title}，没有提交任何信息。"
FORM_DONE = "已提交{title}，编号：{reference}，请记下以便查询。"
BOOKING_REMINDER = "请按预约时间携带材料到{window}办理；如需改约，请回复“我要预约”重新预约。"
PROXY_REMINDER = "帮办代办工作人员会在1个工作日内电话联系您（{phone}）。"
RATE = "请您为本次服务评价（政务服务“好差评”）："
TO_HOTLINE = "提交12345"
LEAVE_MESSAGE = "给工作人员留言"
FORM_START_ITEMLESS = "好的，现在填写{title}。随时回复“取消”可以退出。"
MESSAGE_REMINDER = "工作人员{back}上班后会尽快回复您。"
ASK_CONTACT = "需要工作人员联系您反馈办理结果吗？留下手机号即表示同意12345工作人员联系您。"
GIVE_CONTACT, NO_CONTACT = "留下手机号", "不用联系我"
ASK_MOBILE = "请输入您的手机号码（仅用于12345工作人员联系您）："
CONTACT_ADDED = "已为工单{reference}登记联系电话{phone}，工作人员会与您联系。"
CONTACT_TOO_LATE = "工单{reference}已经转出，没能补登联系电话。如需回访，请拨打{hotline}报工单编号。"
NO_CONTACT_WORDS = ("不用", "不需要", "不留", "匿名")
CONTACT_DECLINED = "好的，工单{reference}不留联系方式转交，工作人员不会联系您。"


def smalltalk(intent: str, centre: CentreProfile) -> str:
    return SMALLTALK.get(intent, SMALLTALK["greet"]).format(centre=centre.name)


def out_of_scope(centre: CentreProfile) -> str:
    return (f"抱歉，本中心的办事指南中没有找到与您的问题对应的事项，我不想给您不准确的答复。"
            f"您可以拨打{centre.hotline.label}{centre.hotline.number}咨询，或回复“转人工”由工作人员为您解答。")


def handled_elsewhere(centre: CentreProfile) -> str:
    """After the referral entry's answer: the same ways on as any unanswered question."""
    return (f"本中心的办事指南里没有这项业务，上面是它通常的办理去向。"
            f"您也可以拨打{centre.hotline.label}{centre.hotline.number}咨询，或回复“转人工”由工作人员为您解答。")


def handoff(target: str, centre: CentreProfile) -> str:
    if target == "agent":
        return (f"好的，正在为您转接人工服务，请稍候。"
                f"您也可以拨打{centre.consultation.label}{centre.consultation.number}。")
    return (f"您反映的情况将转交{centre.hotline.label}（{centre.hotline.number}）办理，"
            f"工作人员会按规定时限联系您并反馈结果。")


def work_order_filed(centre: CentreProfile, reference: str) -> str:
    return handoff("hotline", centre) + f"工单编号：{reference}，请记下以便查询办理进度。"


def staff_off_duty(centre: CentreProfile, back: str | None) -> str:
    """``back``: when staff are next on duty, as the citizen reads it (明天 09:00)."""
    hours = "；".join(hours_lines(centre.hours)[:2])
    when = f"工作人员{back}上班" if back else "请在服务时间再来"
    return (f"现在不是人工服务时间（{hours}），{when}。您可以把问题提交给{centre.hotline.label}，"
            f"我会把您说过的内容整理好一并转过去；也可以给工作人员留言，上班后回复您。")


def offer_person(centre: CentreProfile) -> str:
    return OFFER_PERSON.format(hotline=centre.hotline.label, number=centre.hotline.number)
