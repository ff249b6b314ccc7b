from cyclecrm.intelligence.presentation import calibration_rows, figures, parameter_rows


def test_calibration_accepts_dicts_and_lists():
    rows = calibration_rows(
        {"calibration": [{"mean_predicted": 0.25, "fraction_positive": 0.5, "n": 8}, [0.75, 0.5]]}
    )
    assert rows == [
        {"predicted": "0.25", "observed": "0.5", "count": "8"},
        {"predicted": "0.75", "observed": "0.5", "count": "—"},
    ]
    assert calibration_rows({}) == []


def test_parameters_flatten_to_dotted_names():
    rows = parameter_rows({"bgnbd": {"r": 0.243, "alpha": 4.414}, "centres": [[1, 2], [3, 4]]})
    assert {"name": "bgnbd.r", "value": "0.243"} in rows
    assert {"name": "centres", "value": "[[1, 2], [3, 4]]"} in rows


def test_figures_label_known_keys_and_skip_tables():
    rows = figures({"brier": 0.1234567, "hit_rate_at_k": 0.4, "calibration": [], "custom": 3})
    assert [row["label"] for row in rows] == ["Brier score", "Hit rate @K", "Custom"]
    assert rows[0]["value"] == "0.1235"
