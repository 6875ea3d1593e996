"""Recognise descriptions that suggest acute danger, to point to 110/112 at once."""

from __future__ import annotations

import re

# Whole words only: "Osterfeuer" is a permit question, "es brennt" is an emergency.
_DANGER = re.compile(
    r"\b("
    r"brennt|brand|feuer!|notfall|notarzt|verletzt\w*|bewusstlos|blutet|messer|waffe|"
    r"pistole|bedroh\w*|angegriffen|überfall\w*|einbruch|gas(geruch)?|explosion|"
    r"lebensgefahr|suizid|selbstmord|ertrinkt|unfall|"
    r"fire|burning|emergency|injured|bleeding|unconscious|knife|weapon|gun|threatened|"
    r"attacked|accident|gas leak|suicide"
    r")\b",
    re.IGNORECASE,
)


def suggests_emergency(text: str) -> bool:
    return bool(_DANGER.search(text))
