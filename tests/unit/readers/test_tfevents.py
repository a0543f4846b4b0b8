"""TensorBoard event files: scalars of several files, resumes, damage, and the missing extra."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from torch.utils.tensorboard import SummaryWriter

from lrwatch.errors import InputError, MissingExtra
from lrwatch.readers import find_runs, read_run
from lrwatch.readers.tfevents import event_files, read_event_log


def log_scalars(folder, rows, others=False):
    """Write ``(step, {tag: value})`` rows into one new event file in ``folder``."""
    with SummaryWriter(log_dir=str(folder)) as writer:
        if others:
            writer.add_histogram("weights", np.arange(10.0), 0)
            writer.add_text("note", "not a scalar", 0)
        for step, row in rows:
            for tag, value in row.items():
                writer.add_scalar(tag, value, step)


def test_scalars_of_a_run_folder_are_read_and_other_summaries_ignored(tmp_path):
    log_scalars(tmp_path, [(s, {"train/loss": 1.0 / (s + 1), "lr-Adam": 0.001}) for s in range(5)],
                others=True)
    result = read_run(find_runs(tmp_path)[0])
    assert (result.columns.loss, result.columns.lr) == ("train/loss", "lr-Adam")
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(5))
    np.testing.assert_allclose(result.curves.loss.values, 1.0 / np.arange(1, 6), rtol=1e-6)
    assert result.curves.optimizer == "Adam"


def test_files_of_one_second_are_ordered_by_their_writer_count_as_a_number(tmp_path):
    """Two writers of one process in the same second name their files ``….9`` and ``….10``:
    the later one is the resume, though ``10`` sorts before ``9`` as text."""
    for count in (9, 10):
        (tmp_path / f"events.out.tfevents.1700000000.host.42.{count}").write_bytes(b"")
    assert [p.name.rsplit(".", 1)[-1] for p in event_files(tmp_path)] == ["9", "10"]


def test_a_resumed_run_in_a_second_file_replaces_the_steps_it_logged_again(tmp_path):
    log_scalars(tmp_path, [(s, {"loss": 10.0 - s}) for s in range(6)])
    log_scalars(tmp_path, [(s, {"loss": 100.0 + s}) for s in range(4, 8)])
    files = event_files(tmp_path)
    assert len(files) == 2
    result = read_event_log(files, str(tmp_path))
    np.testing.assert_array_equal(result.curves.loss.steps, np.arange(8))
    np.testing.assert_array_equal(result.curves.loss.values, [10, 9, 8, 7, 104, 105, 106, 107])
    assert any("'loss' has 2 steps logged again" in n for n in result.notes)


def test_a_truncated_event_file_gives_what_was_written_before_the_cut(tmp_path):
    log_scalars(tmp_path, [(s, {"loss": float(s)}) for s in range(50)])
    (path,) = event_files(tmp_path)
    assert not any("cut short" in n for n in read_event_log([path], str(path)).notes)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    result = read_event_log([path], str(path))
    loss = result.curves.loss
    assert 0 < len(loss) < 50
    np.testing.assert_array_equal(loss.values, np.arange(len(loss)))
    (note,) = [n for n in result.notes if "cut short" in n]
    assert note.startswith(f"{path} is damaged or cut short after ")
    assert "left out its last " in note


def test_a_damaged_record_in_the_middle_is_said_too(tmp_path):
    log_scalars(tmp_path, [(s, {"loss": float(s)}) for s in range(50)])
    (path,) = event_files(tmp_path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one flipped byte: that record fails its checksum
    path.write_bytes(bytes(data))
    result = read_run(find_runs(tmp_path)[0])
    assert 0 < len(result.curves.loss) < 50
    assert any("is damaged or cut short after" in n for n in result.notes)


def test_a_git_lfs_pointer_in_place_of_events_says_to_pull(tmp_path):
    path = tmp_path / "events.out.tfevents.1.host"
    path.write_text("version https://git-lfs.github.com/spec/v1\noid sha256:ab12\nsize 5120\n")
    for run in (find_runs(tmp_path)[0],):
        with pytest.raises(InputError, match=r"is a Git LFS pointer, not the log itself: run "
                                             r"`git lfs pull`"):
            read_run(run)
    with pytest.raises(InputError, match="is a Git LFS pointer"):
        find_runs(path)


def test_a_file_that_is_not_events_is_a_clear_error(tmp_path):
    path = tmp_path / "events.out.tfevents.123.host"
    path.write_bytes(b"this is not a tfrecord file at all" * 10)
    with pytest.raises(InputError, match=r"events.out.tfevents.123.host is not a TensorBoard "
                                         r"event file \(no readable record in it\)"):
        read_run(find_runs(path)[0])


def test_an_empty_event_file_beside_good_ones_is_skipped(tmp_path):
    log_scalars(tmp_path, [(s, {"loss": float(s)}) for s in range(3)])
    (tmp_path / "events.out.tfevents.9999999999.host").write_bytes(b"")  # its writer died at once
    assert len(read_run(find_runs(tmp_path)[0]).curves.loss) == 3
    for path in event_files(tmp_path)[:-1]:
        path.unlink()
    with pytest.raises(InputError, match="holds no scalar values: the run logged nothing yet"):
        read_run(find_runs(tmp_path)[0])


def test_events_without_scalars_are_a_clear_error(tmp_path):
    log_scalars(tmp_path, [], others=True)
    with pytest.raises(InputError, match="holds no scalar values: the run logged nothing yet"):
        read_run(find_runs(tmp_path)[0])


def test_without_the_tensorboard_package_the_error_says_what_to_install(tmp_path, monkeypatch):
    log_scalars(tmp_path, [(0, {"loss": 1.0})])
    run = find_runs(tmp_path)[0]  # finding event files needs no extra
    for name in [m for m in sys.modules if m == "tensorboard" or m.startswith("tensorboard.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "tensorboard", None)
    expected = (r"Reading TensorBoard event files needs the 'tensorboard' package: "
                r"pip install 'lrwatch\[tensorboard\]'")
    with pytest.raises(MissingExtra, match=expected):
        read_run(run)


def test_scalars_logged_as_tensors_are_read_too(tmp_path):
    """TensorFlow 2 and Keras write scalars as 0-d tensors, not ``simple_value``."""
    from tensorboard.compat.proto import summary_pb2
    from tensorboard.util import tensor_util

    scalars = summary_pb2.SummaryMetadata(
        plugin_data=summary_pb2.SummaryMetadata.PluginData(plugin_name="scalars"))
    with SummaryWriter(log_dir=str(tmp_path)) as writer:
        for step in range(3):
            value = summary_pb2.Summary.Value(
                tag="epoch_loss", metadata=scalars,
                tensor=tensor_util.make_tensor_proto(np.float32(1.5 - step)))
            vector = summary_pb2.Summary.Value(
                tag="weights", tensor=tensor_util.make_tensor_proto(np.ones(4, np.float32)))
            writer.file_writer.add_summary(summary_pb2.Summary(value=[value, vector]), step)
    result = read_run(find_runs(tmp_path)[0])
    assert result.columns.loss == "epoch_loss"
    np.testing.assert_array_equal(result.curves.loss.values, [1.5, 0.5, -0.5])
