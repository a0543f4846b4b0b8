"""The lrwatch dashboard (a Dash app), installed as ``lrwatch.dashboard``."""
