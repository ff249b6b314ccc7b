"""Scheduled loyalty jobs (earning part): tiers, expiry and birthday points, daily. Each is
idempotent, so a rerun or an overlapping run changes nothing. Other loyalty parts append their
jobs at the end of this file."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from cyclecrm.loyalty.birthdays import birthday_points
from cyclecrm.loyalty.expiry import points_expire
from cyclecrm.loyalty.tier_job import tiers_evaluate


@db_periodic_task(crontab(hour="1", minute="23"))
def expire_points_daily() -> None:
    """Expire first, so tiers measured on points see the day's state."""
    points_expire()


@db_periodic_task(crontab(hour="1", minute="41"))
def evaluate_tiers_daily() -> None:
    tiers_evaluate()


@db_periodic_task(crontab(hour="6", minute="5"))
def birthday_points_daily() -> None:
    birthday_points()
