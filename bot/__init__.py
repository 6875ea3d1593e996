"""Bezirksbot, the district management's assistant in Telegram."""

import sys

# httpx imports its command-line client whenever click and pygments are installed (uvicorn
# brings click): ~2 MiB in every process, and the bot never runs that client. A None entry
# makes the import fail, and httpx keeps its stub `main` (what it does without them).
if "httpx" not in sys.modules:
    sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]
