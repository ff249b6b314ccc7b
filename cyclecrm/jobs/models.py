"""One row per background-job execution, written from Huey's signals (see tracking.py).

The row is keyed by Huey's task id, so every process (the web process that enqueues, each
worker that runs it, the scheduler that enqueues periodic jobs) updates the same row whatever
the queue backend (SQLite or Redis) and however many workers there are. See ADR 0011.
"""

from django.db import models
from django.utils import timezone


class JobState(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    RETRYING = "retrying", "Retrying"
    FAILED = "failed", "Failed"
    FINISHED = "finished", "Finished"
    REVOKED = "revoked", "Revoked"
    EXPIRED = "expired", "Expired"


# States a job does not leave on its own; only a retry (a new job) follows them.
FINAL_STATES = (JobState.FAILED, JobState.FINISHED, JobState.REVOKED, JobState.EXPIRED)
# States from which a person may run the job again ("Retry" on the job page).
RETRYABLE_STATES = (JobState.FAILED, JobState.REVOKED, JobState.EXPIRED)


class Job(models.Model):
    record_type = "job"

    task_id = models.CharField(max_length=64, unique=True)
    # The registered task, as Huey names it: "cyclecrm.integrations.tasks.send_email".
    task_name = models.CharField(max_length=200)
    periodic = models.BooleanField(default=False)
    # A readable summary of the arguments with secret-looking keyword values masked.
    args_summary = models.CharField(max_length=500, blank=True)
    # The arguments as JSON for "retry"; null when they are not plain JSON or look secret.
    payload = models.JSONField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=JobState.choices, default=JobState.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    retries_left = models.PositiveIntegerField(default=0)
    enqueued_at = models.DateTimeField(default=timezone.now)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    error_type = models.CharField(max_length=200, blank=True)
    error_message = models.TextField(blank=True)
    error_traceback = models.TextField(blank=True)
    # The consumer process that ran the last attempt, "host/pid/start" (recovery.py): a
    # restarted worker resumes the running jobs of a process of its host that is gone.
    worker = models.CharField(max_length=200, blank=True)
    # Until when `worker` holds the running job: renewed by that worker's heartbeat; once past,
    # a worker of another machine may take the job over (recovery.py). On a waiting job whose
    # message the sweep found missing from the queue: until when the worker that may have
    # taken it has to record it, before the job is queued again. Null otherwise.
    lease_expires = models.DateTimeField(null=True, blank=True)
    # How often a restarted worker put the job back on the queue after its worker died.
    resumes = models.PositiveIntegerField(default=0)
    retry_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="retried_as"
    )
    # The id of the web request that enqueued the job (empty for periodic jobs); the job runs
    # under it, so its history rows and log lines carry it (docs/operations.md, "Logs").
    request_id = models.CharField(max_length=64, blank=True, default="")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["enqueued_at", "id"], name="job_enqueued"),
            models.Index(fields=["state", "enqueued_at", "id"], name="job_state_enqueued"),
            models.Index(fields=["task_name", "enqueued_at", "id"], name="job_task_enqueued"),
            models.Index(fields=["state", "finished_at"], name="job_state_finished"),
        ]

    def __str__(self) -> str:
        return f"{self.short_name} {self.task_id}"

    @property
    def short_name(self) -> str:
        return self.task_name.rpartition(".")[2]

    @property
    def can_be_retried(self) -> bool:
        """Whether "Retry" applies: the job ended without success and its arguments are known."""
        return self.state in RETRYABLE_STATES and self.payload is not None
