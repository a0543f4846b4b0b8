"""The options every front end shares (``lrwatch.front_end.FrontEnd``): the Lightning callback,
``Watch`` and the Hugging Face callback take them alike, refuse a wrong one with the same
one-line error, and record and guard alike for the same settings."""

from __future__ import annotations

import pytest
import torch

from lrwatch import ConfigError, LRWatch, Watch

pytest.importorskip("transformers")
from lrwatch.integrations.transformers import LRWatchCallback  # noqa: E402


def _watch(tmp_path, **options):  # type: ignore[no-untyped-def]
    model = torch.nn.Linear(3, 1)
    return Watch(model, torch.optim.SGD(model.parameters(), lr=0.1), store=tmp_path / "s",
                 **options)


FRONT_ENDS = {
    "lightning": lambda tmp_path, **options: LRWatch(**options),
    "watch": _watch,
    "transformers": lambda tmp_path, **options: LRWatchCallback(**options),
}


@pytest.mark.parametrize("front_end", FRONT_ENDS)
@pytest.mark.parametrize(("options", "message"), [
    ({"name": " "}, "name must be a non-empty string"),
    ({"on_diverge": "halt"}, "on_diverge must be one of warn, stop, recover"),
    ({"every_n_steps": 0}, "every_n_steps must be a positive integer"),
    ({"lr_factor": 1.5}, "lr_factor must be a number in"),
    ({"dashboard_port": 70000}, "dashboard_port must be in 0-65535"),
    ({"alert": "hooks.example.com"}, r"alert must be an http\(s\) webhook URL"),
    ({"fine_tune": "yes"}, "fine_tune must be True, False or None"),
    ({"classes": 1}, r"classes must be the classes \(or vocabulary size\) of a cross-entropy "
                     r"loss, an integer >= 2, got 1"),
    ({"classes": True}, "classes must be .* an integer >= 2, got True"),
    ({"classes": "10"}, "classes must be .* an integer >= 2, got '10'"),
    # a truthy string would silently turn the option on
    ({"strict": "no"}, "^strict must be True or False, got 'no'$"),
    ({"dashboard": "yes"}, "^dashboard must be True or False, got 'yes'$"),
    ({"keep_dashboard": 1}, "^keep_dashboard must be True or False, got 1$"),
])
def test_a_wrong_option_is_the_same_one_line_error_in_every_front_end(tmp_path, front_end,
                                                                       options, message):
    with pytest.raises(ConfigError, match=message) as error:
        FRONT_ENDS[front_end](tmp_path, **options)
    assert "\n" not in str(error.value)


def test_the_same_options_record_and_guard_alike_in_every_front_end(tmp_path):
    options = {"every_n_steps": 2, "layer_every_n_steps": 10, "on_diverge": "stop",
               "check_every_n_steps": 20, "lr_factor": 0.2}
    made = {name: make(tmp_path, **options) for name, make in FRONT_ENDS.items()}
    try:
        records = {name: f.engine.record_config for name, f in made.items()}
        guards = {name: f.engine.guard_config for name, f in made.items()}
        assert len(set(records.values())) == 1 and len(set(guards.values())) == 1
        record = records["watch"]
        # a guard that acts sees every step at once
        assert (record.every_n_steps, record.host_copy_every_n_steps) == (2, 1)
        assert all(not f.should_stop for f in made.values())
    finally:
        made["watch"].finish()


def test_watch_names_a_misspelt_option(tmp_path):
    with pytest.raises(TypeError, match="on_diverg"):
        _watch(tmp_path, on_diverg="stop")


def test_watch_options_are_typed_as_frontend_and_lrwatch_take_them():
    """``Watch(**options)`` is typed by ``FrontEndOptions`` so editors list its options: that
    list, ``FrontEnd``'s keyword options and ``LRWatch``'s spelled-out ones (less the two only
    Lightning has) must not drift."""
    import inspect
    import typing

    from lrwatch.front_end import FrontEnd, FrontEndOptions

    def keyword_only(callable_):  # type: ignore[no-untyped-def]
        return {name for name, p in inspect.signature(callable_).parameters.items()
                if p.kind is inspect.Parameter.KEYWORD_ONLY}

    typed = set(typing.get_type_hints(FrontEndOptions))
    assert typed == keyword_only(FrontEnd.__init__)
    assert typed == keyword_only(LRWatch.__init__) - {"loss_key", "mirror"}  # Lightning's own
    hint = typing.get_type_hints(Watch.__init__, include_extras=True)["options"]
    assert typing.get_args(hint) == (FrontEndOptions,)


def _run_meta(watch: Watch) -> dict:  # type: ignore[type-arg]
    from lrwatch import Store

    path, run_id = watch.store_path, watch.run.id  # type: ignore[union-attr]
    watch.finish()
    with Store(path, readonly=True) as store:
        return store.run(run_id).meta


@pytest.mark.parametrize(("said", "recorded"), [(True, True), (False, False), (None, None)])
def test_a_fine_tune_is_recorded_as_the_user_says(tmp_path, said, recorded):
    assert _run_meta(_watch(tmp_path, fine_tune=said))["fine_tune"] is recorded


def test_a_model_from_pretrained_weights_is_a_fine_tune_unless_the_user_says_otherwise(tmp_path):
    transformers = pytest.importorskip("transformers")
    config = transformers.GPT2Config(vocab_size=16, n_positions=8, n_embd=8, n_layer=1, n_head=1)
    transformers.GPT2LMHeadModel(config).save_pretrained(tmp_path / "pretrained")

    def wrapped(**options):  # type: ignore[no-untyped-def]
        # a pretrained model inside the user's own module, as in a LightningModule
        model = torch.nn.ModuleDict({"lm": transformers.GPT2LMHeadModel.from_pretrained(
            tmp_path / "pretrained")})
        return Watch(model, torch.optim.AdamW(model.parameters(), lr=2e-5),
                     store=tmp_path / "s", **options)

    assert _run_meta(wrapped())["fine_tune"] is True
    assert _run_meta(wrapped(fine_tune=False))["fine_tune"] is False
