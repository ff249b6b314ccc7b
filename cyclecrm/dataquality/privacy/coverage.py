"""How each model that points at a contact is treated by the subject access export and by
erasure. The export finds related rows generically (`Contact._meta.related_objects`); this table
says how erasure handles each of them, so a new relation must be decided on here (a test fails
for any model referencing Contact that is neither listed nor excluded with a reason)."""

# Model label -> fields erasure blanks on the contact's rows (beyond the generic scrub of the
# contact's personal values from every text column). Values: the replacement.
ERASE_FIELDS: dict[str, dict[str, object]] = {
    "activities.Interaction": {
        "body": "",
        "location": "",
        "attendee_emails": [],
        "from_address": "",
        "to_addresses": [],
        "cc_addresses": [],
        "bcc_addresses": [],
    },
    "activities.Task": {"description": ""},
    "pipeline.Opportunity": {"description": ""},
    "support.Case": {"description": ""},
    "feedback.SurveyResponse": {"comment": ""},
    "mailings.MailingRecipient": {"email": ""},
    "advocacy.Review": {"title": "", "text": ""},
    "catalog.Order": {},
    "feedback.SurveyInvitation": {},
    "nurture.Enrollment": {},
    "campaigns.CampaignMember": {},
    "campaigns.CampaignTouch": {},
    "loyalty.Member": {},
    "loyalty.ReferralCode": {},
    "loyalty.Referral": {},
    "advocacy.ReviewRequest": {},
    "intelligence.Offer": {},
}

# Models whose rows hold no personal value beyond the link itself, kept as they are by erasure
# (the generic scrub still runs on them), with the reason.
EXCLUDED: dict[str, str] = {
    "segments.SegmentMember": "membership link only; segment counts stay intact",
    "intelligence.CustomerInsight": "derived scores (RFM, churn), no free text",
    "advocacy.AdvocateScore": "derived score, no free text",
    "dataquality.ConsentRecord": "evidence of consent: the wording shown, not personal data",
}

# Fields never exported: secrets that name the person in public links, not data about them.
SECRET_FIELDS = frozenset(
    {"token", "token_hash", "statement_token_hash", "confirmation_token", "ip_hash"}
)
