"""How durations and numbers read in `lrwatch runs`, the dashboard and reports."""

from lrwatch.formatting import duration, number


def test_durations_read_at_every_scale():
    assert [duration(s) for s in (0.6, 9.94, 41, 185, 7620)] == ["0.6s", "9.9s", "41s", "3m05s", "2h07m"]
    assert duration(None) == "-"


def test_numbers_keep_nan_and_inf_visible():
    assert [number(x) for x in (3e-4, float("nan"), float("inf"), None)] == ["0.0003", "nan", "inf", "-"]
