"""The domain, in packages; it never imports `telegram`, translations, `html` or the message
layer, and returns results (messages to people go into the outbox as intents).

- `basics`: reference data, routing, dates, working days, periods, clock, safety, env
- `access`: people, roles, invitations
- `messaging`: the outbox (intents), reminders, unreachable chats
- `cases`: records, intake, triage, the manager's desk
- `agreements`: conferences, agreements and their nudges, projects, action plans
- `reporting`: figures, charts, report files, digest, Open311
- `privacy`: export, erasure, retention
"""
