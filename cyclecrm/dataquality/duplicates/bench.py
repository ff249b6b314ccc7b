"""`cyclecrm bench duplicates`: our matcher and splink 5 on the same record-linkage files in the
same run, with pairwise and clustered precision/recall/F1 and wall time side by side.

Ours runs the production code (compare.py, blocking.py, matching.find_pairs, clusters.group) on
the records read from the files; splink runs in DuckDB with settings following its documented
examples (see docs/data-quality.md). splink, duckdb and pyarrow are benchmark-only dependencies.
"""

from __future__ import annotations

import json
import os
import platform
import time
from pathlib import Path
from typing import Any

from cyclecrm.dataquality.duplicates import quality
from cyclecrm.dataquality.duplicates.clusters import group
from cyclecrm.dataquality.duplicates.compare import features, profile
from cyclecrm.dataquality.duplicates.matching import find_pairs

GIANT = 5000


def write_results(path: Path) -> dict[str, Any]:
    """Run every data set and write the figures (with the machine) to `path` as JSON."""
    results = {
        "scenario": "duplicates",
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count()},
        "threshold": profile("contact").threshold,
        "datasets": run(),
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(results, indent=2) + "\n")
    return results


def run(datasets: tuple[str, ...] = quality.DATASETS, *, splink: bool = True) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for name in datasets:
        results[name] = {"ours": measure_ours(name)}
        if splink:
            try:
                results[name]["splink"] = measure_splink(name)
            except Exception as error:  # reported in the results, the run goes on
                results[name]["splink"] = {"error": f"{type(error).__name__}: {error}"}
    return results


def measure_ours(name: str) -> dict[str, Any]:
    started = time.perf_counter()
    records = quality.load(name)
    ids = list(range(len(records)))
    feats = [features("contact", record.values) for record in records]
    stats: dict[str, int] = {}
    pairs = list(find_pairs(ids, feats, "contact", stats=stats))
    external = [record.external_id for record in records]
    edges = [(pair.left_id, pair.right_id, pair.score) for pair in pairs]
    guarded = group(edges, strong=profile("contact").strong)
    seconds = time.perf_counter() - started
    truth = quality.true_pairs(records)
    predicted = {quality._ordered(external[p.left_id], external[p.right_id]) for p in pairs}
    out = {
        "records": len(records),
        "compared_pairs": stats.get("compared", 0),
        "seconds": round(seconds, 2),
        "pairwise": quality.evaluate(predicted, truth),
        "clustered": _clustered(guarded, external, truth),
    }
    connected = group(edges, strong=profile("contact").strong, mode="connected")
    out["clustered_connected"] = _clustered(connected, external, truth)
    return out


def _clustered(clusters: list[list[int]], external: list[str], truth: set) -> dict[str, Any]:
    biggest = max((len(c) for c in clusters), default=0)
    if biggest > GIANT:
        return {"error": f"one cluster of {biggest} records (chained); not evaluated"}
    named = [[external[i] for i in members] for members in clusters]
    return {**quality.evaluate(quality.cluster_pairs(named), truth), "largest_cluster": biggest}


# --- splink ---------------------------------------------------------------------------------


def measure_splink(name: str) -> dict[str, Any]:
    import pandas as pd
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    records = quality.load(name)
    started = time.perf_counter()
    frame = pd.DataFrame(
        [{"unique_id": r.external_id, **_splink_columns(r.values)} for r in records]
    ).replace("", None)
    comparisons = [
        cl.NameComparison("first_name"),
        cl.NameComparison("surname"),
        cl.DateOfBirthComparison("dob", input_is_string=True),
    ]
    blocking = [block_on("first_name", "surname"), block_on("dob"), block_on("surname")]
    training = [block_on("first_name", "surname"), block_on("dob")]
    columns = set(frame.columns)
    if "email" in columns and frame["email"].notna().any():
        comparisons.append(cl.EmailComparison("email"))
    if frame["city"].notna().any():
        comparisons.append(cl.ExactMatch("city").configure(term_frequency_adjustments=True))
    if "postcode" in columns and frame["postcode"].notna().any():
        comparisons.append(
            cl.PostcodeComparison("postcode")
            if name == "historical_50k"
            else cl.ExactMatch("postcode")
        )
        blocking.append(block_on("postcode"))
    if "street" in columns and frame["street"].notna().any():
        comparisons.append(cl.JaroWinklerAtThresholds("street"))
    if "occupation" in columns:
        comparisons.append(cl.ExactMatch("occupation").configure(term_frequency_adjustments=True))
        comparisons.append(cl.ExactMatch("gender"))
    settings = SettingsCreator(
        link_type="dedupe_only",
        comparisons=comparisons,
        blocking_rules_to_generate_predictions=blocking,
        retain_intermediate_calculation_columns=False,
    )
    linker = Linker(DuckDBAPI().register(frame), settings)
    linker.training.estimate_probability_two_random_records_match(
        [block_on("first_name", "surname", "dob")], recall=0.7
    )
    linker.training.estimate_u_using_random_sampling(max_pairs=1e6)
    for rule in training:
        linker.training.estimate_parameters_using_expectation_maximisation(rule)
    predictions = linker.inference.predict(threshold_match_probability=0.5)
    clusters = linker.clustering.cluster_pairwise_predictions_at_threshold(predictions, 0.95)
    pairs_frame = predictions.as_pandas_dataframe()
    cluster_frame = clusters.as_pandas_dataframe()
    seconds = time.perf_counter() - started
    truth = quality.true_pairs(records)
    predicted = {
        quality._ordered(str(a), str(b))
        for a, b in zip(pairs_frame["unique_id_l"], pairs_frame["unique_id_r"], strict=True)
    }
    members: dict[str, list[str]] = {}
    for uid, cid in zip(cluster_frame["unique_id"], cluster_frame["cluster_id"], strict=True):
        members.setdefault(str(cid), []).append(str(uid))
    return {
        "seconds": round(seconds, 2),
        "pairwise": quality.evaluate(predicted, truth),
        "clustered": quality.evaluate(quality.cluster_pairs(members.values()), truth),
    }


def _splink_columns(values: dict[str, Any]) -> dict[str, Any]:
    row = {
        "first_name": values.get("first_name") or "",
        "surname": values.get("last_name") or "",
        "dob": values.get("birth_date") or "",
        "city": values.get("city") or "",
    }
    for source, target in (
        ("email", "email"),
        ("postal_code", "postcode"),
        ("street", "street"),
        ("title", "occupation"),
        ("gender", "gender"),
    ):
        if source in values:
            row[target] = values.get(source) or ""
    return row
