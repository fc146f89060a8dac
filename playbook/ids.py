"""The fixed ids of the contract (shared/contract/): the spine every module shares.

Content files may relabel these, never rename them; the loader checks that each
file uses exactly these ids.
"""

from __future__ import annotations

STEP_IDS: tuple[str, ...] = (
    "prep_time_notice",
    "offer_more",
    "gift_and_duties",
    "ship_photo_weigh",
    "in_transit_notice",
    "arrival_notice",
    "satisfaction_followup",
)

CATEGORY_IDS: tuple[str, ...] = ("product", "logistics", "buyer")

REASON_CATEGORY: dict[str, str] = {
    "defective": "product",
    "not_as_described": "product",
    "wrong_item": "product",
    "missing_parts": "product",
    "not_received": "logistics",
    "damaged_in_transit": "logistics",
    "changed_mind": "buyer",
    "duties_or_pickup": "buyer",
    "bad_faith": "buyer",
}
REASON_IDS: tuple[str, ...] = tuple(REASON_CATEGORY)

FLAG_IDS: tuple[str, ...] = ("review_threat", "keep_and_refund", "hostile", "partial_refund_ask")

RESOLUTION_IDS: tuple[str, ...] = (
    "return_or_exchange",
    "resend",
    "partial_refund",
    "full_refund",
    "apology_coupon",
    "escalate_to_platform",
)

POLICY_RULE_IDS: tuple[str, ...] = (
    "review_incentive",
    "off_platform",
    "blames_buyer",
    "false_promise",
)

STOCK_STATUSES: tuple[str, ...] = (
    "in_stock",
    "out_of_stock",
    "colour_unavailable",
    "size_unavailable",
)
TRACKING_STATUSES: tuple[str, ...] = (
    "in_transit",
    "arrived_destination",
    "delivered",
    "returned",
    "no_updates",
)
DISPUTE_OUTCOMES: tuple[str, ...] = ("open", "seller_won", "buyer_won", "settled", "cancelled")

STAFF_LANGS: tuple[str, ...] = ("zh", "en")

# The orders table (orders.md): column → (kind, required). Kinds drive parsing in orders.py.
ORDER_COLUMNS: dict[str, tuple[str, bool]] = {
    "order_id": ("text", True),
    "buyer_name": ("text", False),
    "buyer_country": ("country", True),
    "buyer_lang": ("lang", False),
    "currency": ("currency", True),
    "order_value": ("money", True),
    "cost": ("money", False),
    "shipping_cost": ("money", False),
    "paid_at": ("datetime", True),
    "stock_status": ("stock_status", False),
    "shipped_at": ("datetime", False),
    "carrier": ("text", False),
    "tracking_no": ("text", False),
    "tracking_status": ("tracking_status", False),
    "arrived_destination_at": ("datetime", False),
    "delivered_at": ("datetime", False),
    "feedback_stars": ("stars", False),
    "dispute_opened_at": ("datetime", False),
    "dispute_reason": ("reason", False),
    "dispute_outcome": ("dispute_outcome", False),
    "chargeback": ("bool", False),
    "done_steps": ("steps", False),
}
