"""Rate limits of capture forms, counted from the FormSubmission rows of the last hour.

- Per IP address and form: `max_per_ip_per_hour` for submissions carrying a valid form token
  (the page we render has one); without a token (the embed snippet, the JSON endpoint) the limit
  is `max_per_ip_per_hour // TOKENLESS_DIVISOR` (at least 1). Every row from that address counts
  (accepted, pending, honeypot rejections) except the rate-limit rejections themselves, so the
  limit lifts an hour after the submissions that reached it, however often a client retries.
- Per form: `max_per_hour` accepted or pending submissions, all addresses together. Rejected rows
  do not count, so one abusive address cannot close the form for everyone.

IP addresses are never stored: rows carry an HMAC-SHA256 of the address keyed with SECRET_KEY
(`cyclecrm.core.ratelimit.ip_fingerprint`). These per-form quotas are business settings of
each form, counted from stored rows; the address-wide flood limit of every public endpoint is
the shared limiter in cyclecrm/core/ratelimit.py, which raises the same RateLimited.
The check reads then writes without a lock, so concurrent requests can pass a limit by a few
submissions; a limit is a brake on abuse, not an exact quota.
"""

import datetime as dt
import math
from dataclasses import dataclass

from django.db.models import QuerySet

from cyclecrm.core.ratelimit import RateLimited, ip_fingerprint
from cyclecrm.leads.models import CaptureForm, FormSubmission, SubmissionStatus

WINDOW = dt.timedelta(hours=1)
TOKENLESS_DIVISOR = 2
REASON_IP_LIMIT = "Rate limit: too many submissions from this address."
REASON_FORM_LIMIT = "Rate limit: too many submissions to this form."
RATE_LIMIT_REASONS = (REASON_IP_LIMIT, REASON_FORM_LIMIT)
__all__ = ["Exceeded", "RateLimited", "ip_fingerprint", "limit_exceeded"]


@dataclass(frozen=True)
class Exceeded:
    reason: str
    retry_after: int  # seconds


def ip_limit(form: CaptureForm, *, trusted: bool) -> int:
    if trusted:
        return form.max_per_ip_per_hour
    return max(1, form.max_per_ip_per_hour // TOKENLESS_DIVISOR)


def _retry_after(rows: QuerySet[FormSubmission], count: int, limit: int, now: dt.datetime) -> int:
    """Seconds until enough of the counted rows leave the window to go below the limit."""
    times = list(rows.order_by("at").values_list("at", flat=True)[: count - limit + 1])
    if not times:  # the rows left the window meanwhile
        return 1
    frees_at = times[-1] + WINDOW
    return max(1, math.ceil((frees_at - now).total_seconds()))


def limit_exceeded(
    *, form: CaptureForm, ip_hash: str, trusted: bool, now: dt.datetime
) -> Exceeded | None:
    since = now - WINDOW
    recent = FormSubmission.objects.filter(form=form, at__gt=since)
    from_ip = recent.filter(ip_hash=ip_hash).exclude(reason__in=RATE_LIMIT_REASONS)
    limit = ip_limit(form, trusted=trusted)
    count = from_ip.count()
    if count >= limit:
        return Exceeded(REASON_IP_LIMIT, _retry_after(from_ip, count, limit, now))
    kept = recent.filter(status__in=(SubmissionStatus.ACCEPTED, SubmissionStatus.PENDING))
    count = kept.count()
    if count >= form.max_per_hour:
        return Exceeded(REASON_FORM_LIMIT, _retry_after(kept, count, form.max_per_hour, now))
    return None
