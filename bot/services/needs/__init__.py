"""Needs (Handlungsbedarfe): calls for proposals, proposals, supports and rankings, the
manager's curation, focus areas agreed at the conference and the decision on them."""
