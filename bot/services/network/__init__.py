"""The district's network: the directory of offices, external bodies, organisations and key
persons that managers keep in the chat, the Lotse's referrals to it, the review of stale
entries, meetings attended, and the directory's share of a person's export and erasure."""
