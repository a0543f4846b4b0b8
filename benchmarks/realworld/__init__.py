"""The real-world corpus: public training logs (and runs made here) with provenance and labels.

Fetched content is never committed: each source contributes a manifest (``manifest_*.jsonl``,
one run a line, committed) and an extractor that turns a fetched repository snapshot into one
normalised CSV per run in the cache (``$LRWATCH_REALWORLD``, default
``~/.cache/lrwatch/realworld``). A run whose CSV is not in the cache is counted as missing, not
silently dropped. See ``README.md`` beside this file for the fields and the labelling rules.

The held-out side is chosen by repository, from a hash of its name, before any run is looked
at: all runs of one repository (or one task family made here) fall on the same side.
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from lrwatch.analysis import RunCurves, Series
from lrwatch.readers.series import evaluated_every_point

HERE = Path(__file__).parent
STATUSES = ("diverging", "oscillating", "stalled", "healthy")
DIRECTIONS = ("down", "up", "keep", "unknown")
HELDOUT_BUCKETS = 3  # one repository in three is held out
# Round 3's held-out: families made after round 2's held-out evaluation and before round 3's
# rules changed (round 3 tunes on every earlier run, both sides of the hash split).
ROUND3_HELDOUT = frozenset({"lrwatch-made/bigram_adam", "lrwatch-made/logreg_adam",
                            "lrwatch-made/gru_lm", "lrwatch-made/tied_lm"})
# Round 4: public repositories gathered after round 3's freeze (``manifest_r4.jsonl``); half of
# them, by a hash of the name (``round4_heldout``), fixed before any run was diagnosed, are held
# out; round 4 tunes on every earlier run and the other half.
ROUND4_REPOS = frozenset({"TianqGuo/MachineLearningNotes", "Chanura04/DSGP-Brain-Tumor-Detection",
                          "zli12/cs336-hw1"})
# Round 5: public repositories gathered after round 4 (``manifest_r5.jsonl``, and a second batch
# in ``manifest_r5b.jsonl``), all held out: no rule is tuned on them; the lead evaluates them once,
# after the round's rules are frozen.
ROUND5_REPOS = frozenset({"arshchawla21/mainrun", "dungTnguyen05/mainrun-optimization",
                          "MaincodeHQ/mainrun", "lalalkila/mainrun",
                          "aorvieto/VerySimpleTransformer",
                          "darongliu/Input_Method", "subro608/Deep_learning_Bert_project2",
                          "TheUn4given123jkbkjs/Viettel_Race_2026",
                          "tasfiahmrinmoyee/Gemma3-1B-Instruct-outputs",
                          "ZanichelliEditore/english-grammar-multiple-choice-generation",
                          "MemaSp/FT-Llama2-HRChatbot", "ganapathya/optim-nn-playground"})
# Round 6: public repositories gathered after round 5 (``manifest_r6.jsonl``), all held out like
# round 5's: labelled from their sources and never diagnosed before the lead's one evaluation.
ROUND6_REPOS = frozenset({"mehdidc/learning_rate_and_generalization", "SimonHofmann94/BS-Data"})
# Round 7: public repositories gathered after round 6 (``manifest_r7.jsonl``), all held out like
# rounds 5 and 6: labelled from their sources, never diagnosed before the lead's one evaluation.
ROUND7_REPOS = frozenset({"Isaac-J-Gardner/SoE-Summer-Internship-Neurons-that-Learn-on-their-Own",
                          "MFlossmann/dl_robotics_sheet01", "TimothyQuark/i2dl"})
# Round 7's made families (``fresh_sweeps7.py``, ``manifest_r7made.jsonl``): made before round 7's
# rules changed and held out like round 5's, never diagnosed before the lead's one evaluation.
ROUND7_MADE = frozenset({"lrwatch-made/vit_digits_adamw", "lrwatch-made/byte_cnn_sgdm",
                         "lrwatch-made/rnn_lm_adagrad"})
# Round 8: public repositories gathered after round 7 (``manifest_r8.jsonl``), all held out like
# rounds 5-7: labelled from their sources, never diagnosed before the lead's one evaluation.
ROUND8_REPOS = frozenset({"OpenMOSS/SummerQuest-2026", "RohitBind123/falcon-lora-imdb-sentiment",
                          "MachineSight/road-anomaly-detection",
                          "Sebastian-Russo/mnist-digit-classifier",
                          "darkwud/embedded_deep_learning", "lorenzialessandro/NLU-exam-main",
                          "YuxuanSnow/IN2346_I2DL", "oguzaltan/Introduction-to-Deep-Learning-I2DL"})
# Round 8's made families (``fresh_sweeps8.py``, ``manifest_r8made.jsonl``): made before round 8's
# rules changed, ranked by a test loss their CSVs never log; held out, never diagnosed before the
# lead's one evaluation.
ROUND8_MADE = frozenset({"lrwatch-made/ft_tagger_adamw", "lrwatch-made/mlp_epochs_nesterov",
                         "lrwatch-made/gru_forecast_adam_clip"})
# Round 9's made families (``fresh_sweeps9.py``, ``manifest_r9made.jsonl``): made before round 9's
# rules changed, ranked by a test loss their CSVs never log; held out, never diagnosed before the
# lead's one evaluation.
ROUND9_MADE = frozenset({"lrwatch-made/word_lstm_epochs_sgd",
                         "lrwatch-made/cnn_digits_epochs_adam", "lrwatch-made/ft_seqcls_adamw"})
# Round 10: public repositories gathered after round 9 (``manifest_r10.jsonl``), all held out like
# rounds 5-8: labelled from their sources, never diagnosed before the lead's one evaluation.
ROUND10_REPOS = frozenset({"Aitor4/BDAPRO-Learning-rate-SGD"})
# Round 10's made families (``fresh_sweeps10.py``, ``manifest_r10made.jsonl``): made before round
# 10's rules changed, ranked by a test loss their CSVs never log; held out, never diagnosed before
# the lead's one evaluation.
ROUND10_MADE = frozenset({"lrwatch-made/gpt_idle_adamw", "lrwatch-made/lora_docstrings_adamw",
                          "lrwatch-made/regression_zlib_sgdm"})
# Round 11's made families (``fresh_sweeps11.py``, ``manifest_r11made.jsonl``): made before round
# 11's rules changed, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND11_MADE = frozenset({"lrwatch-made/resnet1d_cbf_sgdm_cosine",
                          "lrwatch-made/hf_ft_source_adamw",
                          "lrwatch-made/tabular_mlp_epochs_adam"})
# Round 12's made families (``fresh_sweeps12.py``, ``manifest_r12made.jsonl``): made before round
# 12's rules changed, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND12_MADE = frozenset({"lrwatch-made/gcn_sbm_epochs_adam", "lrwatch-made/textcls_bag_adamw",
                          "lrwatch-made/vae_digits_adam"})
# Round 13: public repositories gathered after round 12 (``manifest_r13.jsonl``), all held out like
# rounds 5-10: labelled from their sources, never diagnosed before the lead's one evaluation.
ROUND13_REPOS = frozenset({
    "AleksiKaa/i2dl",
    "Dan-Yeh/I2DL",
    "Euzil/I2DL",
    "HUQiancheng/I2DL-homework",
    "PortgasXDXMajd/I2DL_Exercises",
    "Sihifu/i2dl",
    "SicongShen97/i2dl_exercises",
    "Steven177/i2dl",
    "WeiqiLyu/I2DL",
    "Yipeng-Zhou/i2dl",
    "ZhishenZ/i2dl_exercises",
    "ZhouXinghi/i2dl_exercise",
    "ahmedehabb/I2DL-Exercises",
    "berfinkavsut/i2dl-deep-learning-exercises",
    "heewonyang25/i2dl-deep-learning",
    "huchacha1314/i2dl_exercises",
    "vingoh/I2DL-exercises",
    "yurtkulusalih/I2DL",
})
# Round 13's made families (``fresh_sweeps13.py``, ``manifest_r13made.jsonl``): made before round
# 13's rules changed, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND13_MADE = frozenset({"lrwatch-made/gpt_docs_adafactor", "lrwatch-made/cnn_digits_ls_onecycle",
                          "lrwatch-made/lstm_adding_adam_clip"})
# Round 14's made families (``fresh_sweeps14.py``, ``manifest_r14made.jsonl``): made after round
# 14's rules froze, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND14_MADE = frozenset({"lrwatch-made/gru_charlm_sgd_step", "lrwatch-made/convae_digits_adamw",
                          "lrwatch-made/mlp_diabetes_rmsprop"})
# Round 15's made families (``fresh_sweeps15.py``, ``manifest_r15made.jsonl``): made after round
# 14's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND15_MADE = frozenset({"lrwatch-made/ft_email_lm_adamw", "lrwatch-made/mixer_digits_nesterov",
                          "lrwatch-made/logreg_cancer_adagrad"})
# Round 16: public repositories gathered after round 15 (``manifest_r16.jsonl``), all held out like
# round 13: labelled from their sources, never diagnosed before the lead's one evaluation.
ROUND16_REPOS = frozenset({
    "morganmcg1/TandemFoilSet-Balanced",
})
# Round 16's made families (``fresh_sweeps16.py``, ``manifest_r16made.jsonl``): made after round
# 15's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND16_MADE = frozenset({"lrwatch-made/gpt_idlecode_adamw",
                          "lrwatch-made/tcn_forecast_adam_steplr",
                          "lrwatch-made/mlp_noisytab_sgd_multistep"})
# Round 17's made families (``fresh_sweeps17.py``, ``manifest_r17made.jsonl``): made after round
# 16's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND17_MADE = frozenset({"lrwatch-made/bert_mlm_distutils_adamw",
                          "lrwatch-made/bigru_hmmtag_adam_clip",
                          "lrwatch-made/mlp_friedman_adamw_plateau"})
# Round 18's made families (``fresh_sweeps18.py``, ``manifest_r18made.jsonl``): made after round
# 17's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND18_MADE = frozenset({"lrwatch-made/resnet_noisydigits_nesterov_cosine",
                          "lrwatch-made/realnvp_ring_adam_cosine",
                          "lrwatch-made/skipgram_topics_sgd_lineardecay"})
# Round 19's made families (``fresh_sweeps19.py``, ``manifest_r19made.jsonl``): made while round
# 20's rules were tuned, ranked by a test loss their logs never hold; held out, never diagnosed
# before the lead's one evaluation.
ROUND19_MADE = frozenset({"lrwatch-made/gpt_pydecimal_radam_const",
                          "lrwatch-made/fasttext_docpkg_sgd_epochs",
                          "lrwatch-made/unet_shapes_noise2noise_adamw_onecycle"})
# Round 20's made families (``fresh_sweeps20.py``, ``manifest_r20made.jsonl``): made while round
# 21's rules were tuned, ranked by a test loss their logs never hold; held out, never diagnosed
# before the lead's one evaluation.
ROUND20_MADE = frozenset({"lrwatch-made/vit_shapes_nadamw_cosine",
                          "lrwatch-made/textcnn_synthreviews_adadelta_const"})
# Round 21's made families (``fresh_sweeps21.py``, ``manifest_r21made.jsonl``): made after round
# 20's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND21_MADE = frozenset({"lrwatch-made/seq2seq_reverse_gru_adam_clip",
                          "lrwatch-made/simclr_digits_sgdm_cosine",
                          "lrwatch-made/fm_synthclicks_adagrad"})
# Round 22's made families (``fresh_sweeps22.py``, ``manifest_r22made.jsonl``): made after round
# 21's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND22_MADE = frozenset({"lrwatch-made/gpt_typing_lion_cosine",
                          "lrwatch-made/ddpm_digits_mlp_adam",
                          "lrwatch-made/widedeep_claims_poisson_sgd_step"})
# Round 23's made families (``fresh_sweeps23.py``, ``manifest_r23made.jsonl``): made after round
# 22's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND23_MADE = frozenset({"lrwatch-made/cnn_shapes_mixup_sgdm_cosine",
                          "lrwatch-made/charrnn_difflib_lstm_rmsprop_clip",
                          "lrwatch-made/mf_synthratings_sparseadam"})
# Round 24's made families (``fresh_sweeps24.py``, ``manifest_r24made.jsonl``): made after round
# 23's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND24_MADE = frozenset({"lrwatch-made/gpt2_hf_tarfile_trainer_adamw_linear",
                          "lrwatch-made/deepsets_pointsets_nadam_const",
                          "lrwatch-made/cnn1d_waves_heavytail_huber_adam_exp"})
# Round 25's made families (``fresh_sweeps25.py``, ``manifest_r25made.jsonl``): made after round
# 24's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND25_MADE = frozenset({"lrwatch-made/mobilenet_shapes_sgdm_cosine",
                          "lrwatch-made/chargru_argparse_adam_clip",
                          "lrwatch-made/mlp_imbalanced_layernorm_adamw_warmcos"})
# Round 26's made families (``fresh_sweeps26.py``, ``manifest_r26made.jsonl``): made after round
# 25's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND26_MADE = frozenset({"lrwatch-made/bertft_modulecls_adamw_linear",
                          "lrwatch-made/convae_noisyshapes_rmsprop_const",
                          "lrwatch-made/mlp_digits_earlystop_sgdm_step"})
# Round 27's made families (``fresh_sweeps27.py``, ``manifest_r27made.jsonl``): made after round
# 26's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND27_MADE = frozenset({"lrwatch-made/gpt_ast_adam_invsqrt",
                          "lrwatch-made/resmlp_noisytab_nesterov_onecycle",
                          "lrwatch-made/lstm_cbf_adagrad_clip"})
# Round 28's made families (``fresh_sweeps28.py``, ``manifest_r28made.jsonl``): made after round
# 27's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND28_MADE = frozenset({"lrwatch-made/lstm_ft_shlex_adamw_linear",
                          "lrwatch-made/mlp_smoothreg_adamax_plateau"})
# Round 29's made families (``fresh_sweeps29.py``, ``manifest_r29made.jsonl``): made after round
# 28's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND29_MADE = frozenset({"lrwatch-made/wordgpt_docstrings_adamw_warmcos",
                          "lrwatch-made/mlp_overlap6_sgd_step"})
# Round 30's made families (``fresh_sweeps30.py``, ``manifest_r30made.jsonl``): made after round
# 29's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND30_MADE = frozenset({"lrwatch-made/gru_sines_rmsprop_clip",
                          "lrwatch-made/cnn_ft_digits_sgdm_step"})
# Round 31's made families (``fresh_sweeps31.py``, ``manifest_r31made.jsonl``): made after round
# 30's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND31_MADE = frozenset({"lrwatch-made/mlp_multilabel_bce_amsgrad_cosine",
                          "lrwatch-made/mlp_quantile_pinball_adabelief_const",
                          "lrwatch-made/mlp_triplet_embed_asgd_const"})
# Round 32's made families (``fresh_sweeps32.py``, ``manifest_r32made.jsonl``): made after round
# 31's evaluation, ranked by a test loss their logs never hold; held out, never diagnosed before
# the lead's one evaluation.
ROUND32_MADE = frozenset({"lrwatch-made/deepsets_points_multimargin_yogi_cosine",
                          "lrwatch-made/mlp_hetero_gaussnll_lookahead_adam_const",
                          "lrwatch-made/mlp_ft_shifted_focal_adam_discriminative"})
# Round 33's made families (``fresh_sweeps33.py``, ``manifest_r33made.jsonl``): made after round
# 32's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND33_MADE = frozenset({"lrwatch-made/mdn_inverse_sine_mixture_nll_madgrad_cosine",
                          "lrwatch-made/mlp_pair_ranker_marginrank_novograd_epochs",
                          "lrwatch-made/mlp_ft_softlabel_kldiv_adan_cosine"})
# Round 34's made families (``fresh_sweeps34.py``, ``manifest_r34made.jsonl``): made after round
# 33's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND34_MADE = frozenset({"lrwatch-made/gpt_subprocess_muon_adamw_wsd",
                          "lrwatch-made/mlp_ordinal_coral_lamb_epochs",
                          "lrwatch-made/mlp_ft_laplace_l1_schedulefree_adamw"})
# Round 35's made families (``fresh_sweeps35.py``, ``manifest_r35made.jsonl``): made after round
# 34's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND35_MADE = frozenset({"lrwatch-made/transformer_s2s_numwords_ademamix_warmcos",
                          "lrwatch-made/cnn1d_ctc_bursts_adopt_epochs",
                          "lrwatch-made/fcn_ft_rings_dice_cautious_adamw"})
# Round 36's made families (``fresh_sweeps36.py``, ``manifest_r36made.jsonl``): made after round
# 35's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND36_MADE = frozenset({"lrwatch-made/gpt_addition_adammini_warmcos",
                          "lrwatch-made/mlp_deepsurv_cox_adamp_epochs",
                          "lrwatch-made/mlp_ft_claims_gamma_radamw"})
# Round 37's made families (``fresh_sweeps37.py``, ``manifest_r37made.jsonl``): made after round
# 36's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND37_MADE = frozenset({"lrwatch-made/gpt_markov_incontext_adamax_warmlinear",
                          "lrwatch-made/gin_graphs_poisson_rmsprop_centered_epochs",
                          "lrwatch-made/tcn_ft_series_studentt_nesterov_onecycle"})
# Round 38's made families (``fresh_sweeps38.py``, ``manifest_r38made.jsonl``): made after round
# 37's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND38_MADE = frozenset({"lrwatch-made/gru_attn_s2s_dates_nadam_warmrestarts",
                          "lrwatch-made/vae_bars_bernoulli_elbo_adagrad_epochs",
                          "lrwatch-made/lora_mlp_ft_counts_negbin_adamw"})
# Round 39's made families (``fresh_sweeps39.py``, ``manifest_r39made.jsonl``): made after round
# 38's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND39_MADE = frozenset({"lrwatch-made/transformer_multitask_brackets_radam_poly",
                          "lrwatch-made/cnn_orientation_vonmises_lars_epochs",
                          "lrwatch-made/mlp_ft_bitfit_rain_tweedie_adam"})
# Round 40's made families (``fresh_sweeps40.py``, ``manifest_r40made.jsonl``): made after round
# 39's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND40_MADE = frozenset({"lrwatch-made/moe_switch_statistics_adamw_invsqrt",
                          "lrwatch-made/cnn_kd_student_glyphs_sgdm_multistep_epochs",
                          "lrwatch-made/mlp_ft_lntune_shifted_ce_adamw_linear"})
# Round 41's made families (``fresh_sweeps41.py``, ``manifest_r41made.jsonl``): made after round
# 40's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND41_MADE = frozenset({"lrwatch-made/gpt_optparse_qhadam_warmcos",
                          "lrwatch-made/twotower_pairs_infonce_nesterov_exp_epochs",
                          "lrwatch-made/gpt_ft_code2prose_lamb_warmlinear"})
# Round 42's made families (``fresh_sweeps42.py``, ``manifest_r42made.jsonl``): made after round
# 41's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND42_MADE = frozenset({"lrwatch-made/gpt_threading_sophia_warmcos",
                          "lrwatch-made/made_blocks_bernoulli_adam_steplr_epochs",
                          "lrwatch-made/mlp_ft_adapters_smoothce_sgdm_cyclic"})
# Round 43's made families (``fresh_sweeps43.py``, ``manifest_r43made.jsonl``): made after round
# 42's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND43_MADE = frozenset({"lrwatch-made/gpt_dataclasses_soap_warmcos",
                          "lrwatch-made/siren_image_mse_adadelta_steplr_epochs",
                          "lrwatch-made/mlp_ft_dora_pinball_adamw_cosine"})
# Round 44's made families (``fresh_sweeps44.py``, ``manifest_r44made.jsonl``): made after round
# 43's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND44_MADE = frozenset({"lrwatch-made/gpt_ft_ia3_prose_adafactor_warmlin",
                          "lrwatch-made/kan_function_mse_lbfgs_epochs",
                          "lrwatch-made/moe_mlp_regimes_ce_adamax_poly"})
# Round 45's made families (``fresh_sweeps45.py``, ``manifest_r45made.jsonl``): made after round
# 44's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND45_MADE = frozenset({"lrwatch-made/gpt_ft_prompt_prose_adamw_linear",
                          "lrwatch-made/nam_additive_bce_rprop_epochs",
                          "lrwatch-made/s4d_mailbox_adamw_cosine"})
# Round 46's made families (``fresh_sweeps46.py``, ``manifest_r46made.jsonl``): made after round
# 45's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND46_MADE = frozenset({"lrwatch-made/gpt_ft_dpo_prose_rmsprop_warmconst",
                          "lrwatch-made/sae_superposition_l1_adam_lindecay_epochs",
                          "lrwatch-made/retnet_imaplib_adamw_warmlinear"})
# Round 47's made families (``fresh_sweeps47.py``, ``manifest_r47made.jsonl``): made after round
# 46's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND47_MADE = frozenset({"lrwatch-made/gpt_ft_l2sp_prose_sgdm_step",
                          "lrwatch-made/fttransformer_tabular_ce_adamw_epochs",
                          "lrwatch-made/rwkv_doctest_adam_warmexp"})
# Round 48's made families (``fresh_sweeps48.py``, ``manifest_r48made.jsonl``): made after round
# 47's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND48_MADE = frozenset({"lrwatch-made/gpt_ft_ulmfit_prose_adam_stlr",
                          "lrwatch-made/gat_graphs_ce_adam_epochs",
                          "lrwatch-made/mamba_enum_adamw_warmcos"})
# Round 49's made families (``fresh_sweeps49.py``, ``manifest_r49made.jsonl``): made after round
# 48's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND49_MADE = frozenset({"lrwatch-made/perceiver_pointsets_ce_lamb_step",
                          "lrwatch-made/gpt_ft_seqcls_modules_nadamw_warmlin",
                          "lrwatch-made/vicreg_views_adamw_cosine_epochs"})
# Round 50's made families (``fresh_sweeps50.py``, ``manifest_r50made.jsonl``): made after round
# 49's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND50_MADE = frozenset({"lrwatch-made/conformer_keywords_ce_adam_noam",
                          "lrwatch-made/gpt_ft_llrd_collections_adamw_warmlin",
                          "lrwatch-made/score_moons_dsm_sgd_epochs"})
# Round 51's made families (``fresh_sweeps51.py``, ``manifest_r51made.jsonl``): made after round
# 50's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND51_MADE = frozenset({"lrwatch-made/linattn_lm_httpclient_adamw_llm_warmcos",
                          "lrwatch-made/gpt_lpft_tagging_pydoc_sgd_cos",
                          "lrwatch-made/capsnet_shapes_margin_adam_exp_epochs"})
# Round 52's made families (``fresh_sweeps52.py``, ``manifest_r52made.jsonl``): made after round
# 51's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND52_MADE = frozenset({"lrwatch-made/settransformer_count_huber_adamw_onecycle",
                          "lrwatch-made/gpt_sam_ft_prose_sgd_cos",
                          "lrwatch-made/siamese_pairs_hingeemb_rmsprop_plateau_epochs"})
# Round 53's made families (``fresh_sweeps53.py``, ``manifest_r53made.jsonl``): made after round
# 52's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND53_MADE = frozenset({"lrwatch-made/gpt_bytelm_bf16_adam_warmup20_cos_b4",
                          "lrwatch-made/gpt_adagrad_ft_prose",
                          "lrwatch-made/snn_selu_softmargin_sgd_cos_epochs"})
# Round 54's made families (``fresh_sweeps54.py``, ``manifest_r54made.jsonl``): made after round
# 53's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND54_MADE = frozenset({"lrwatch-made/mingru_bytelm_calendar_adamw_wsd_b4",
                          "lrwatch-made/gpt_frozen_head_modules_adamw_cos",
                          "lrwatch-made/dcnv2_clicks_bce_adam_multistep_epochs"})
# Round 55's made families (``fresh_sweeps55.py``, ``manifest_r55made.jsonl``): made after round
# 54's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND55_MADE = frozenset({"lrwatch-made/alibi_bytelm_fractions_adamw_warmlin_b2",
                          "lrwatch-made/gpt_ft_ftplib_rmsprop_warmcos",
                          "lrwatch-made/highway_multilabel_softmargin_nesterov_plateau_epochs"})
# Round 56's made families (``fresh_sweeps56.py``, ``manifest_r56made.jsonl``): made after round
# 55's, ranked by a test loss their logs never hold; held out, never diagnosed before the lead's
# one evaluation.
ROUND56_MADE = frozenset({"lrwatch-made/llama_bytelm_shutil_adamw_warm25cos_b4",
                          "lrwatch-made/gpt_ft_tokenize_radam_cos",
                          "lrwatch-made/siamese_cosine_embedding_adamax_multiplicative_epochs"})
# Round 21: public repositories gathered while round 21's rules were tuned (``manifest_r21.jsonl``),
# all held out like rounds 13 and 16: labelled from their sources, never diagnosed before the
# lead's one evaluation.
ROUND21_REPOS = frozenset({
    "fabian-sp/step-back",
    "fsschneider/DeepOBS_Baselines",
})
# Round 22: public repositories gathered while round 22's rules were tuned (``manifest_r22.jsonl``),
# all held out like rounds 13, 16 and 21: labelled from their sources, never diagnosed before the
# lead's one evaluation.
ROUND22_REPOS = frozenset({
    "Open-Superintelligence-Lab/blueberry-llm",
})
# Round 23: public repositories gathered while round 23's rules were tuned (``manifest_r23.jsonl``),
# all held out like rounds 13, 16, 21 and 22: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND23_REPOS = frozenset({
    "adijo/ift6135-rnn",
    "eeishaan/ift6135-h02",
    "mhmorta/IFT6135_RNN_GRU_Transformers",
    "saryazdi/IFT6135",
})
# Round 24: public repositories gathered while round 24's rules were tuned (``manifest_r24.jsonl``),
# all held out like rounds 13, 16 and 21-23: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND24_REPOS = frozenset({
    "DavidC001/NLU",
})
# Round 25: public repositories gathered while round 25's rules were tuned (``manifest_r25.jsonl``),
# all held out like rounds 13, 16 and 21-24: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND25_REPOS = frozenset({
    "Kerry-z/ResNet-with-an-optional-optimizer-and-lr",
    "panciut/257852_marco_panciera",
})
# Round 26: public repositories gathered while round 26's rules were tuned (``manifest_r26.jsonl``),
# all held out like rounds 13, 16 and 21-25: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND26_REPOS = frozenset({
    "COMP6248-Reproducability-Challenge/hypergradient-descent-reproduction",
    "ryandgoldenberg1/svrg_project",
})
# Round 27: public repositories gathered while round 27's rules were tuned (``manifest_r27.jsonl``),
# all held out like rounds 13, 16 and 21-26: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND27_REPOS = frozenset({
    "RobertoSavi/NLU-RS-Project",
    "Wenxin-Jiang/CS577-NLP",
    "kylianmarceau/transformerLM",
})
# Round 28: public repositories gathered while round 28's rules were tuned (``manifest_r28.jsonl``),
# all held out like rounds 13, 16 and 21-27: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND28_REPOS = frozenset({
    "slmowan/tiny_transformer_opt",
})
# Round 29: public repositories gathered while round 29's rules were tuned (``manifest_r29.jsonl``),
# all held out like rounds 13, 16 and 21-28: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND29_REPOS = frozenset({
    "hansgundlach/Experimental_Progress",
})
# Round 30: public repositories gathered while round 30's rules were tuned (``manifest_r30.jsonl``),
# all held out like rounds 13, 16 and 21-29: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND30_REPOS = frozenset({
    "jxbz/nero",
    "Mqtth3w/pixel-level-segmentation-in-pets-unipr",
})
# Round 31: public repositories gathered while round 31's rules were tuned (``manifest_r31.jsonl``),
# all held out like rounds 13, 16 and 21-30: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND31_REPOS = frozenset({
    "zhoubojian-stevenchow/CDS525_Group_Project",
    "Lil3bear/CDS525_Group_Project",
    "chunxi-lan/CDS525_Group_Project",
})
# Round 32: public repositories gathered while round 32's rules were tuned (``manifest_r32.jsonl``),
# all held out like rounds 13, 16 and 21-31: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND32_REPOS = frozenset({
    "fabian-sp/pytorch-image-models",
    "f-dangel/vivit-experiments",
})
# Round 33: public repositories gathered while round 33's rules were tuned (``manifest_r33.jsonl``),
# all held out like rounds 13, 16 and 21-32: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND33_REPOS = frozenset({
    "pedro-dreyer/masters_code",
    "epfml/llm-optimizer-benchmark",
})
# Round 34: public repositories gathered while round 34's rules were tuned (``manifest_r34.jsonl``),
# all held out like rounds 13, 16 and 21-33: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND34_REPOS = frozenset({
    "isiahgabrielarcos/AI-Generated-Image-Detector",
})
# Round 35: public repositories gathered while round 35's rules were tuned (``manifest_r35.jsonl``),
# all held out like rounds 13, 16 and 21-34: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND35_REPOS = frozenset({
    "DataTalksClub/machine-learning-zoomcamp",
    "Danselem/ml-bookcamp",
    "DavidVFitzGerald/machine-learning-zoomcamp-homework",
    "KonuTech/machine-learning-zoomcamp",
    "Mikaelnystroms/ml-engineer-zoomcamp",
    "Wali-Mohamed/machine-learning-zoomcamp",
    "danannisar/ml-zoomcamp",
    "eeeds/ML-Camp",
    "javier-cp6/ml-zoomcamp",
    "ramil8090/machine-learning-zoomcamp-homework",
    "ranga4all1/ml-zoomcamp-2024",
    "lautarocolli/machine-learning-zoomcamp-homework",
})
# Round 38: public repositories gathered while round 38's rules were tuned (``manifest_r38.jsonl``),
# all held out like rounds 13, 16 and 21-35: labelled from their sources, never diagnosed before
# the lead's one evaluation.
ROUND38_REPOS = frozenset({
    "yuelihe2-svg/svg-scaling-laws-transformers",
    "YashasviSah/svg-scaling-laws",
})
# Round 39: public repositories gathered while round 39's rules were tuned (``manifest_r39.jsonl``),
# all held out like rounds 13, 16, 21-35 and 38: labelled from their sources, never diagnosed
# before the lead's one evaluation.
ROUND39_REPOS = frozenset({
    "mikecokina/elisa_mlayer",
})
# Round 40: public repositories gathered while round 40's rules were tuned (``manifest_r40.jsonl``),
# all held out like rounds 13, 16, 21-35, 38 and 39: labelled from their sources, never diagnosed
# before the lead's one evaluation.
ROUND40_REPOS = frozenset({
    "mwilliammyers/dcnn",
})
# Round 52: public repositories gathered while round 52's rules were tuned (``manifest_r52.jsonl``),
# all held out like rounds 13, 16, 21-35 and 38-40 (rounds 41-51 found no public sweep): labelled
# from their sources, never diagnosed before the lead's one evaluation.
ROUND52_REPOS = frozenset({
    "spacepxl/demystifying-sd-finetuning",
})
# Round 54: public repositories gathered while round 54's rules were tuned (``manifest_r54.jsonl``),
# all held out like rounds 13, 16, 21-35, 38-40 and 52 (round 53 found no public sweep): labelled
# from their sources, never diagnosed before the lead's one evaluation.
ROUND54_REPOS = frozenset({
    "N1cemaker/Atis_intent",
})
EARLIER_SIDES = ("tuning", "heldout", "round3-heldout")


def cache_dir() -> Path:
    """Where the normalised CSVs live (never committed)."""
    return Path(os.environ.get("LRWATCH_REALWORLD", Path.home() / ".cache/lrwatch/realworld"))


def side_of(repo: str) -> str:
    """The side of a repository in each round: ``tuning`` / ``heldout`` (rounds 1-2, fixed by
    a hash of its name alone), ``round3-heldout`` (the fresh families), ``round4-heldout`` /
    ``round4-tuning`` (the fresh public repositories), ``round5-heldout`` / ``round6-heldout`` /
    ``round7-heldout`` (rounds 5, 6 and 7, all held out), ``round7-made`` / ``round8-made`` /
    ``round9-made`` (rounds 7, 8 and 9's made families, held out), ``round8-heldout`` /
    ``round10-heldout`` (rounds 8 and 10, all held out), ``round10-made`` / ``round11-made`` /
    ``round12-made`` (rounds 10, 11 and 12's made families, held out), ``round13-heldout``
    (round 13, all held out), ``round13-made`` / ``round14-made`` / ``round15-made`` /
    ``round16-made`` (rounds 13, 14, 15 and 16's made families, held out), ``round16-heldout``
    (round 16, all held out), ``round17-made`` / ``round18-made`` / ``round19-made`` /
    ``round20-made`` / ``round21-made`` (rounds 17, 18, 19, 20 and 21's made families, held
    out), ``round21-heldout`` / ``round22-heldout`` / ``round23-heldout`` /
    ``round24-heldout`` / ``round25-heldout`` / ``round26-heldout`` / ``round27-heldout`` /
    ``round28-heldout`` / ``round29-heldout`` / ``round30-heldout`` / ``round31-heldout`` /
    ``round32-heldout`` / ``round33-heldout`` / ``round34-heldout`` / ``round35-heldout`` /
    ``round38-heldout`` / ``round39-heldout`` / ``round40-heldout`` / ``round52-heldout`` /
    ``round54-heldout`` (rounds 21 to 35, 38 to 40, 52 and 54, all held out),
    ``round22-made`` / ``round23-made`` / ``round24-made`` / ``round25-made`` / ``round26-made`` /
    ``round27-made`` / ``round28-made`` / ``round29-made`` / ``round30-made`` / ``round31-made`` /
    ``round32-made`` / ``round33-made`` / ``round34-made`` / ``round35-made`` /
    ``round36-made`` / ``round37-made`` / ``round38-made`` / ``round39-made`` /
    ``round40-made`` / ``round41-made`` / ``round42-made`` / ``round43-made`` /
    ``round44-made`` / ``round45-made`` / ``round46-made`` / ``round47-made`` /
    ``round48-made`` / ``round49-made`` / ``round50-made`` / ``round51-made`` /
    ``round52-made`` / ``round53-made`` / ``round54-made`` / ``round55-made`` /
    ``round56-made`` (rounds 22 to 56's made families, held out)."""
    if repo in ROUND54_REPOS:
        return "round54-heldout"
    if repo in ROUND52_REPOS:
        return "round52-heldout"
    if repo in ROUND40_REPOS:
        return "round40-heldout"
    if repo in ROUND39_REPOS:
        return "round39-heldout"
    if repo in ROUND38_REPOS:
        return "round38-heldout"
    if repo in ROUND35_REPOS:
        return "round35-heldout"
    if repo in ROUND34_REPOS:
        return "round34-heldout"
    if repo in ROUND33_REPOS:
        return "round33-heldout"
    if repo in ROUND32_REPOS:
        return "round32-heldout"
    if repo in ROUND31_REPOS:
        return "round31-heldout"
    if repo in ROUND30_REPOS:
        return "round30-heldout"
    if repo in ROUND29_REPOS:
        return "round29-heldout"
    if repo in ROUND28_REPOS:
        return "round28-heldout"
    if repo in ROUND27_REPOS:
        return "round27-heldout"
    if repo in ROUND26_REPOS:
        return "round26-heldout"
    if repo in ROUND25_REPOS:
        return "round25-heldout"
    if repo in ROUND25_MADE:
        return "round25-made"
    if repo in ROUND26_MADE:
        return "round26-made"
    if repo in ROUND27_MADE:
        return "round27-made"
    if repo in ROUND28_MADE:
        return "round28-made"
    if repo in ROUND29_MADE:
        return "round29-made"
    if repo in ROUND30_MADE:
        return "round30-made"
    if repo in ROUND31_MADE:
        return "round31-made"
    if repo in ROUND32_MADE:
        return "round32-made"
    if repo in ROUND33_MADE:
        return "round33-made"
    if repo in ROUND34_MADE:
        return "round34-made"
    if repo in ROUND35_MADE:
        return "round35-made"
    if repo in ROUND36_MADE:
        return "round36-made"
    if repo in ROUND37_MADE:
        return "round37-made"
    if repo in ROUND38_MADE:
        return "round38-made"
    if repo in ROUND39_MADE:
        return "round39-made"
    if repo in ROUND40_MADE:
        return "round40-made"
    if repo in ROUND41_MADE:
        return "round41-made"
    if repo in ROUND42_MADE:
        return "round42-made"
    if repo in ROUND43_MADE:
        return "round43-made"
    if repo in ROUND44_MADE:
        return "round44-made"
    if repo in ROUND45_MADE:
        return "round45-made"
    if repo in ROUND46_MADE:
        return "round46-made"
    if repo in ROUND47_MADE:
        return "round47-made"
    if repo in ROUND48_MADE:
        return "round48-made"
    if repo in ROUND49_MADE:
        return "round49-made"
    if repo in ROUND50_MADE:
        return "round50-made"
    if repo in ROUND51_MADE:
        return "round51-made"
    if repo in ROUND52_MADE:
        return "round52-made"
    if repo in ROUND53_MADE:
        return "round53-made"
    if repo in ROUND54_MADE:
        return "round54-made"
    if repo in ROUND55_MADE:
        return "round55-made"
    if repo in ROUND56_MADE:
        return "round56-made"
    if repo in ROUND24_REPOS:
        return "round24-heldout"
    if repo in ROUND24_MADE:
        return "round24-made"
    if repo in ROUND23_REPOS:
        return "round23-heldout"
    if repo in ROUND23_MADE:
        return "round23-made"
    if repo in ROUND22_REPOS:
        return "round22-heldout"
    if repo in ROUND22_MADE:
        return "round22-made"
    if repo in ROUND21_REPOS:
        return "round21-heldout"
    if repo in ROUND21_MADE:
        return "round21-made"
    if repo in ROUND20_MADE:
        return "round20-made"
    if repo in ROUND19_MADE:
        return "round19-made"
    if repo in ROUND18_MADE:
        return "round18-made"
    if repo in ROUND17_MADE:
        return "round17-made"
    if repo in ROUND16_REPOS:
        return "round16-heldout"
    if repo in ROUND16_MADE:
        return "round16-made"
    if repo in ROUND15_MADE:
        return "round15-made"
    if repo in ROUND14_MADE:
        return "round14-made"
    if repo in ROUND13_MADE:
        return "round13-made"
    if repo in ROUND13_REPOS:
        return "round13-heldout"
    if repo in ROUND12_MADE:
        return "round12-made"
    if repo in ROUND11_MADE:
        return "round11-made"
    if repo in ROUND10_REPOS:
        return "round10-heldout"
    if repo in ROUND10_MADE:
        return "round10-made"
    if repo in ROUND9_MADE:
        return "round9-made"
    if repo in ROUND8_MADE:
        return "round8-made"
    if repo in ROUND8_REPOS:
        return "round8-heldout"
    if repo in ROUND7_MADE:
        return "round7-made"
    if repo in ROUND7_REPOS:
        return "round7-heldout"
    if repo in ROUND6_REPOS:
        return "round6-heldout"
    if repo in ROUND5_REPOS:
        return "round5-heldout"
    if repo in ROUND4_REPOS:
        return "round4-heldout" if round4_heldout(repo) else "round4-tuning"
    if repo in ROUND3_HELDOUT:
        return "round3-heldout"
    return "heldout" if heldout(repo) else "tuning"


def in_side(repo: str, side: str) -> bool:
    """Whether a repository's runs are evaluated on ``side``: ``round3-tuning`` is rounds 1-2
    (both sides), ``round4-tuning`` every earlier run and round 4's tuning half."""
    mine = side_of(repo)
    return (mine == side or (side == "round3-tuning" and mine in ("tuning", "heldout"))
            or (side == "round4-tuning" and mine in EARLIER_SIDES))


def round4_heldout(repo: str) -> bool:
    """Round 4's split of its fresh repositories: one in two, by a hash of the name alone."""
    return int(hashlib.sha1(repo.lower().encode()).hexdigest(), 16) % 2 == 0


def heldout(repo: str) -> bool:
    """The side of a repository in rounds 1-2, fixed by its name alone."""
    return int(hashlib.sha1(repo.lower().encode()).hexdigest(), 16) % HELDOUT_BUCKETS == 0


@dataclass(frozen=True)
class Label:
    status: str  # one of STATUSES
    direction: str  # which way the LR should move: down | up | keep | unknown (cannot tell)
    why: str  # the justification, from the source (sweep, later fix, maintainer, NaN)
    source: str  # sweep | fix | maintainer | nonfinite | published | curve
    also: tuple[str, ...] = ()  # other statuses the source equally supports


@dataclass(frozen=True)
class RealRun:
    id: str
    repo: str
    commit: str
    path: str
    format: str
    family: str
    meta: dict
    label: Label
    sweep: str | None
    heldout: bool
    curves: RunCurves | None = field(default=None, compare=False)


def manifest() -> list[dict]:
    """Every manifest line of every source, in file order."""
    rows = []
    for path in sorted(HERE.glob("manifest_*.jsonl")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.strip():
                try:
                    rows.append(json.loads(line))
                except json.JSONDecodeError as exc:
                    raise SystemExit(f"{path.name}:{n}: not JSON ({exc})") from None
    ids = [r["id"] for r in rows]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise SystemExit(f"duplicate run ids in the manifests: {', '.join(dup[:5])}")
    return rows


class CsvColumns(dict):
    """``read_csv``'s columns by name, and ``logged``: for a column that logged NaN or inf itself
    (``nan`` in a cell, not an empty one) beside finite values, the mask of its cells that hold
    a value, as lrwatch's own CSV reader keeps the two apart."""

    logged: dict[str, np.ndarray]


def read_csv(path: Path) -> CsvColumns:
    """A normalised run CSV: ``step,loss`` and optional ``lr``, ``grad_norm``, ``epoch``,
    ``val_loss``, ``val_metric`` (a higher-is-better validation metric: accuracy) columns; empty
    cells are NaN (``CsvColumns.logged`` tells them from a NaN the run logged)."""
    with path.open(newline="") as f:
        rows = list(csv.DictReader(f))
    cols = CsvColumns()
    cols.logged = {}
    for key in rows[0] if rows else []:
        given = np.array([r[key] not in ("", None) for r in rows], dtype=bool)
        cols[key] = np.array([float(r[key]) if g else np.nan for r, g in zip(rows, given)])
        finite = np.isfinite(cols[key])
        if (given & ~finite).any() and finite.any():  # a column all NaN measured nothing
            cols.logged[key] = given
    return cols


def curves_of(row: dict, cols: dict[str, np.ndarray]) -> RunCurves:
    """The run as the analysis sees it: the loss, LR, gradient norm and validation loss where
    logged, and what the manifest knows of the optimizer, batch size and model size."""
    steps = cols["step"].astype(np.int64)

    def series(key: str) -> Series | None:
        v = cols.get(key)
        logged = getattr(cols, "logged", {}).get(key)
        if key == "grad_norm" and logged is not None:  # a NaN/inf gradient norm is news
            return Series(steps[logged], v[logged])
        if v is None or (key != "loss" and not np.isfinite(v).any()):
            return None  # a loss that is NaN throughout is kept: that is the run's story
        keep = np.isfinite(v) if key != "loss" else np.ones(v.size, bool)
        return Series(steps[keep], v[keep])

    meta = row.get("meta", {})
    # a log indexed by epoch (its step column counts epochs), as lrwatch's readers read a
    # Keras CSVLogger file or a TensorBoard ``epoch_loss``, or one with a validation loss at
    # every training-loss point
    epochs = cols.get("epoch")
    loss, val_loss = series("loss"), series("val_loss")
    by_epoch = (epochs is not None and np.array_equal(epochs, steps.astype(float))) or (
        val_loss is not None and evaluated_every_point(loss.steps, val_loss.steps))
    return RunCurves(loss=loss, lr=series("lr"), grad_norm=series("grad_norm"),
                     val_loss=val_loss, optimizer=meta.get("optimizer"),
                     momentum=meta.get("momentum"),
                     batch_size=meta.get("batch_size"), fine_tune=meta.get("fine_tune"),
                     clip=meta.get("clip"), classes=meta.get("classes"),
                     param_count=meta.get("param_count"), epoch_points=by_epoch,
                     val_metric=series("val_metric"))


def load(*, with_curves: bool = True) -> tuple[list[RealRun], list[str]]:
    """The labelled runs, and the ids whose CSV is missing from the cache."""
    runs, missing = [], []
    root = cache_dir()
    for row in manifest():
        lab = row["label"]
        label = Label(lab["status"], lab["direction"], lab["why"], lab["source"],
                      tuple(lab.get("also", ())))
        if label.status not in STATUSES or label.direction not in DIRECTIONS:
            raise SystemExit(f"run {row['id']}: bad label {lab}")
        curves = None
        if with_curves:
            path = root / f"{row['id']}.csv"
            if not path.exists():
                missing.append(row["id"])
                continue
            curves = curves_of(row, read_csv(path))
        runs.append(RealRun(id=row["id"], repo=row["repo"], commit=row["commit"],
                            path=row["path"], format=row["format"], family=row["family"],
                            meta=row.get("meta", {}), label=label, sweep=row.get("sweep"),
                            heldout=heldout(row["repo"]), curves=curves))
    return runs, missing
