"""Choosing the loss, LR, grad-norm and val-loss columns from the names Lightning users have."""

from __future__ import annotations

import pytest

from lrwatch.errors import InputError
from lrwatch.readers.columns import detect_columns


@pytest.mark.parametrize(("names", "loss"), [
    (["epoch", "step", "train_loss_epoch", "train_loss_step", "val_loss"], "train_loss_step"),
    (["loss", "val_loss"], "loss"),
    (["train/loss", "val/loss"], "train/loss"),
    (["training_loss", "validation_loss"], "training_loss"),
    (["train_loss", "train_acc", "test_loss"], "train_loss"),
    (["train_loss_epoch", "val_loss"], "train_loss_epoch"),  # only the aggregate: use it
    (["recon_loss", "train_loss_step", "train_loss_epoch"], "train_loss_step"),
    (["Train Loss", "lr"], "Train Loss"),
])
def test_the_training_loss_is_found_and_step_level_is_preferred(names, loss):
    assert detect_columns(names, "metrics.csv").loss == loss


@pytest.mark.parametrize(("names", "lr", "optimizer"), [
    (["lr-Adam", "train_loss"], "lr-Adam", "Adam"),
    (["lr-SGD", "lr-SGD-momentum", "loss"], "lr-SGD", "SGD"),
    (["lr-AdamW/pg2", "lr-AdamW/pg1", "loss"], "lr-AdamW/pg1", "AdamW"),  # Lightning counts from 1
    (["lr-SGD-1", "lr-SGD", "loss"], "lr-SGD", "SGD"),  # the first of two SGD optimizers
    (["lr-Adam/encoder", "lr-Adam/pg1", "loss"], "lr-Adam/pg1", "Adam"),
    (["lr", "lr/pg2", "loss"], "lr", None),  # lrwatch export
    (["learning_rate", "loss"], "learning_rate", None),
    (["train/lr", "train/loss"], "train/lr", None),
    (["lr-Adam-momentum", "lr-Adam-weight_decay", "loss"], None, None),
    (["loss", "acc"], None, None),
])
def test_the_lr_column_and_optimizer_are_found(names, lr, optimizer):
    columns = detect_columns(names, "metrics.csv")
    assert (columns.lr, columns.optimizer) == (lr, optimizer)


@pytest.mark.parametrize(("names", "grad_norm"), [
    (["grad_2.0_norm/layer.weight", "grad_2.0_norm_total", "loss"], "grad_2.0_norm_total"),
    (["grad_norm", "grad_norm/encoder.0", "loss"], "grad_norm"),
    (["train/grad_norm", "loss"], "train/grad_norm"),
    (["grad_2.0_norm/layer.weight", "loss"], None),  # one layer's norm is not the total
    (["loss", "param_norm"], None),
])
def test_the_total_grad_norm_is_found_never_a_layer(names, grad_norm):
    assert detect_columns(names, "metrics.csv").grad_norm == grad_norm


@pytest.mark.parametrize(("names", "val_loss"), [
    (["train_loss", "val_loss"], "val_loss"),
    (["train/loss", "val/loss"], "val/loss"),
    (["loss", "valid_loss"], "valid_loss"),
    (["loss", "val_acc"], None),
])
def test_the_validation_loss_is_found(names, val_loss):
    assert detect_columns(names, "metrics.csv").val_loss == val_loss


@pytest.mark.parametrize(("names", "peers"), [
    # YOLO's results.csv: three parts of a total it does not log
    (["epoch", "train/box_loss", "train/cls_loss", "train/dfl_loss", "val/box_loss", "lr/pg0"],
     ("train/cls_loss", "train/dfl_loss")),
    (["g_loss", "d_loss"], ("d_loss",)),  # a GAN's two players
    (["train_loss", "train_recon_loss", "train_kl_loss"], None),  # the total is named
    (["train_loss_step", "train_loss_epoch", "val_loss"], None),
    (["recon_loss", "lr"], None),  # a part alone is no choice among parts
])
def test_a_loss_picked_among_parts_of_a_total_names_the_others(names, peers):
    assert detect_columns(names, "results.csv").loss_peers == peers
    assert detect_columns(names, "results.csv", loss_key=names[-2]).loss_peers is None


def test_the_momentum_column_beside_the_chosen_lr_is_found():
    columns = detect_columns(["lr-SGD", "lr-SGD-momentum", "loss"], "metrics.csv")
    assert columns.momentum == "lr-SGD-momentum"


def test_keys_given_by_the_user_win():
    columns = detect_columns(["train_loss", "my_loss", "lr-Adam", "sched_lr"], "metrics.csv",
                             loss_key="my_loss", lr_key="sched_lr")
    assert (columns.loss, columns.lr) == ("my_loss", "sched_lr")


def test_a_missing_given_key_names_the_argument_the_flag_and_the_available_columns():
    with pytest.raises(InputError, match=r"run/metrics.csv has no column 'lossy' "
                                         r"\(loss_key= / --loss-key\); "
                                         r"it has: train_loss, lr-Adam"):
        detect_columns(["train_loss", "lr-Adam"], "run/metrics.csv", loss_key="lossy")
    with pytest.raises(InputError, match=r"no column 'rate' \(lr_key= / --lr-key\)"):
        detect_columns(["train_loss", "lr-Adam"], "run/metrics.csv", lr_key="rate")


def test_no_loss_column_is_a_clear_error_that_suggests_the_flag():
    with pytest.raises(InputError, match=r"m.csv has no training-loss column; it has: acc, "
                                         r"val_loss; name the loss column with "
                                         r"loss_key= / --loss-key"):
        detect_columns(["acc", "val_loss"], "m.csv")
