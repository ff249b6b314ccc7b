"""The job measurements run against a real small target: counts and the shape of each result
(no timing is asserted: the figures depend on the machine's load)."""

import smtplib
from email.message import EmailMessage

from cyclecrm.core.benchsuite import jobs
from cyclecrm.core.benchsuite.sink import CountingSmtpSink
from cyclecrm.core.benchsuite.target import Target


def test_percentiles_take_the_nearest_rank() -> None:
    figures = jobs.percentiles_ms([i / 1000 for i in range(1, 101)])
    assert figures == {"p50_ms": 50.5, "p99_ms": 99.0, "max_ms": 100.0}
    assert jobs.percentiles_ms([0.2])["p99_ms"] == 200.0


def test_the_sink_counts_messages_and_distinct_recipients() -> None:
    sink = CountingSmtpSink()
    sink.start()
    try:
        with smtplib.SMTP(sink.host, sink.port) as client:
            for to in ("a@example.com", "b@example.com", "A@example.com"):
                message = EmailMessage()
                message["From"], message["To"], message["Subject"] = "x@example.com", to, "Hi"
                message.set_content("Hello")
                client.send_message(message)
        assert sink.wait_for(3, timeout=5) == 2
        assert sink.messages == 3
        assert sink.last_at is not None
    finally:
        sink.stop()


def test_import_counts_the_rows_and_removes_them_again(bench_target: Target) -> None:
    result = jobs.measure_import(bench_target, 1000)
    # generate(): 1% invalid e-mails, 1% impossible dates, 2% repeated e-mails.
    assert result["counts"]["read"] == 1000
    assert (
        result["counts"]["created"] + result["counts"]["skipped"] + result["counts"]["rejected"]
        == 1000
    )
    assert result["counts"]["created"] > 900
    assert result["removed_after"] == result["counts"]["created"]
    assert result["status"] == "done"
    assert result["bare_insert"]["rows_per_second"] > 0
    assert result["peak_rss_mb"] > 0
    assert set(result["target"]) == {"rows_per_second", "ratio_to_bare", "peak_rss_mb"}
    assert isinstance(result["met"], bool)
    # A second run meets the same data set: nothing it imports is a duplicate of the first.
    again = jobs.measure_import(bench_target, 1000)
    assert again["counts"] == result["counts"]


def test_duplicates_scan_over_all_contacts(bench_target: Target) -> None:
    result = jobs.measure_duplicates(bench_target)
    assert result["finished"] is True
    assert result["records"] == 2000
    assert result["pairs"] is not None and result["compared_pairs"] >= result["pairs"]
    assert result["peak_rss_mb"] > 0
    assert isinstance(result["met"], bool)


def test_duplicates_stopped_at_the_time_limit_report_what_was_reached(
    bench_target: Target,
) -> None:
    result = jobs.measure_duplicates(bench_target, time_limit=0.5)
    assert result["finished"] is False
    assert result["met"] is False
    assert "did not finish" in result["note"]
    # Stopped before its scan row existed, or while it ran: never the figures of an earlier scan.
    assert result["records"] in (None, 0)


def test_campaign_reaches_every_recipient_through_a_worker(bench_target: Target) -> None:
    result = jobs.measure_campaign(bench_target, 40)
    assert result["delivered"] == 40
    assert result["count_ok"] is True
    assert result["recipient_states"] == {"sent": 40}
    assert result["mailing_status"] == "sent"
    assert result["emails_per_second"] > 0
    assert result["worker_idle_rss_mb"] > 0
    assert result["peak_rss_mb"] >= result["worker_rss_after_mb"] > 0


def test_segment_count_through_the_api(bench_target: Target) -> None:
    result = jobs.measure_segment_count(bench_target, 5)
    assert result["runs"] == 5
    assert 0 < result["members"] < 2000
    assert len(result["rules"]["all"]) == 4
    assert result["p99_ms"] >= result["p50_ms"] > 0
    assert result["target"] == {"p99_ms": 300}
