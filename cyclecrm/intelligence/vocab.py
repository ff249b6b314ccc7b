"""Shared vocabulary of the model outputs: the keys stored in `CustomerInsight` columns and the
labels shown for them. Segment rules, workflow conditions and the model pages read these, so
a key here is part of the stored data: never rename one."""

# (group, label, recency scores, FM scores, what it means). Covers all 25 (R, FM) pairs once.
GROUP_TABLE: tuple[tuple[str, str, tuple[int, ...], tuple[int, ...], str], ...] = (
    ("champions", "Champions", (5,), (4, 5), "Bought recently, often and spend the most."),
    ("loyal", "Loyal", (3, 4), (4, 5), "Buy often and spend well; not the very latest."),
    (
        "potential_loyalist",
        "Potential loyalist",
        (4, 5),
        (2, 3),
        "Recent customers with average frequency and spend.",
    ),
    ("new_customers", "New customers", (5,), (1,), "Bought very recently, once or little."),
    ("promising", "Promising", (4,), (1,), "Recent, but bought little so far."),
    ("need_attention", "Need attention", (3,), (3,), "Average on every count."),
    ("about_to_sleep", "About to sleep", (3,), (1, 2), "Falling behind, and bought little."),
    ("at_risk", "At risk", (1, 2), (3, 4), "Bought often and well, but long ago."),
    ("cant_lose", "Can't lose them", (1, 2), (5,), "Were among the best; gone quiet."),
    ("hibernating", "Hibernating", (1, 2), (1, 2), "Long ago, little; not counting lost."),
    ("lost", "Lost", (1,), (1,), "The oldest last purchase, and the least bought."),
)
RFM_GROUPS: dict[str, str] = {group: label for group, label, *_ in GROUP_TABLE}

# Churn risk bands of `CustomerInsight.churn_band`.
CHURN_BANDS: dict[str, str] = {"low": "Low", "medium": "Medium", "high": "High"}
