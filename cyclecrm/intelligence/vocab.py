"""Shared vocabulary of the model outputs: the keys stored in `CustomerInsight` columns and the
labels shown for them. Segment rules, workflow conditions and the model pages read these, so
a key here is part of the stored data: never rename one."""

# RFM groups (the usual eleven-segment map of recency and frequency/monetary scores).
RFM_GROUPS: dict[str, str] = {
    "champions": "Champions",
    "loyal": "Loyal customers",
    "potential_loyalist": "Potential loyalists",
    "new_customers": "New customers",
    "promising": "Promising",
    "need_attention": "Need attention",
    "about_to_sleep": "About to sleep",
    "at_risk": "At risk",
    "cannot_lose": "Cannot lose them",
    "hibernating": "Hibernating",
    "lost": "Lost",
}

# Churn risk bands of `CustomerInsight.churn_band`.
CHURN_BANDS: dict[str, str] = {"low": "Low", "medium": "Medium", "high": "High"}
