"""The residents' verdict in the chat: the question (1–5 buttons), the optional reason and
the consent to quote it, in the resident's language."""

from __future__ import annotations

from html import escape

from bot.i18n import N_, Translator
from bot.messages import callbacks
from bot.messages.render import RenderContext, renders
from bot.messages.reply import Button, Reply, rows
from bot.services.verdicts.notices import VerdictQuestion

VD = callbacks.VERDICT
# the scale's ends named on the buttons, so the numbers need no legend
SCALE = {1: N_("1 – not at all satisfied"), 5: N_("5 – very satisfied")}


@renders(VerdictQuestion)
def question(n: VerdictQuestion, ctx: RenderContext) -> Reply:
    t = ctx.t
    if n.reminder:
        body = t(
            "A short reminder: how satisfied are you with how your concern {reference} was "
            "handled? One tap is enough.",
            reference=n.reference,
        )
    else:
        body = t(
            "Your concern {reference} was closed a few days ago. How satisfied are you with "
            "how it was handled? Please choose from 1 (not at all) to 5 (very satisfied).",
            reference=n.reference,
        )
    scores = [Button(t(SCALE[s]) if s in SCALE else str(s), VD.data("s", n.case_id, s))
              for s in range(1, 6)]  # fmt: skip
    return Reply(escape(body), buttons=rows(scores[:1], scores[1:4], scores[4:]))


def ask_reason(t: Translator, case_id: int) -> Reply:
    text = t(
        "Thank you! Would you like to tell us why, in one sentence? Simply write it here. "
        "This is optional."
    )
    return Reply(text, rows([Button(t("Skip"), VD.data("skip", case_id))]), html=False)


def ask_quoting(t: Translator, case_id: int) -> Reply:
    text = t(
        "Thank you. May the city quote your sentence in its reports, without your name? "
        "Otherwise it is only counted."
    )
    buttons = [
        Button(t("Yes, it may be quoted"), VD.data("q", case_id, "yes")),
        Button(t("No, only count it"), VD.data("q", case_id, "no")),
    ]
    return Reply(text, rows(buttons), html=False)


def thanks(t: Translator) -> Reply:
    return Reply(t("Thank you for your answer. It helps us improve."), html=False)


def already_answered(t: Translator) -> Reply:
    return Reply(t("You have already answered this question. Thank you!"), html=False)
