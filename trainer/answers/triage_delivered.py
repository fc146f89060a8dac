# Reference answer for exercises/02_triage.ipynb: it replaces the ✏️ cell.
# Not received (logistics), not yet bad faith: the buyer does not admit having the item.
# "or I leave 1 star" is a review threat. Tracking says delivered, so collect the proof of
# delivery and let the platform decide before paying anything (no resend, no refund yet).
answer = {
    "reason": "not_received",
    "flags": ["review_threat"],
    "resolution": "escalate_to_platform",
}
