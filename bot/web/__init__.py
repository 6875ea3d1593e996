"""The HTTP side of Bezirksbot: webhook, health, metrics, Open311 (`bezirksbot serve`)."""
