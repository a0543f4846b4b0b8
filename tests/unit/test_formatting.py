"""How durations and numbers read in `lrwatch runs`, the dashboard and reports."""

from lrwatch import formatting
from lrwatch.analysis import Status
from lrwatch.formatting import duration, number


def test_durations_read_at_every_scale():
    assert [duration(s) for s in (0.6, 9.94, 41, 185, 7620)] == ["0.6s", "9.9s", "41s", "3m05s", "2h07m"]
    assert duration(None) == "-"


def test_numbers_keep_nan_and_inf_visible():
    assert [number(x) for x in (3e-4, float("nan"), float("inf"), None)] == ["0.0003", "nan", "inf", "-"]


def test_every_diagnosis_status_has_its_own_style() -> None:
    # a new Status without a row in the one style table fails here instead of turning grey
    missing = [s.value for s in Status if s.value not in formatting.STATUS_STYLES]
    assert missing == []
    colours = [formatting.STATUS_STYLES[s.value].colour for s in Status]
    assert len(set(colours)) == len(colours)


def test_the_dashboard_banner_badge_and_filter_read_the_style_table() -> None:
    from lrwatch.dashboard import components
    from lrwatch.dashboard.pages.runs import STATUS_FILTERS

    badge = components.badge("insufficient_data")
    assert badge.children == "too short"
    assert badge.style["backgroundColor"] == formatting.STATUS_STYLES["insufficient_data"].colour
    assert [f for f in STATUS_FILTERS if f in ("diverging", "oscillating", "stalled", "healthy",
                                                "too short")] == \
        ["diverging", "oscillating", "stalled", "healthy", "too short"]
    assert formatting.status_style("some_new_state").label == "some new state"


def test_every_run_status_of_the_store_has_its_own_style() -> None:
    from lrwatch.store.base import RUN_STATUSES

    assert [s for s in RUN_STATUSES if s not in formatting.STATUS_STYLES
            and s not in formatting.RUN_STATUS_STYLES] == []
