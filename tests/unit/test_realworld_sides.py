"""The sides of the real-world corpus: each round's held-out repositories never reach its tuning
side, and a repository's runs all fall on one side."""

from __future__ import annotations

import pytest

from benchmarks.realworld import (ROUND3_HELDOUT, ROUND4_REPOS, ROUND5_REPOS, ROUND6_REPOS,
                                  ROUND7_MADE, ROUND7_REPOS, ROUND8_MADE, ROUND8_REPOS,
                                  ROUND9_MADE, ROUND10_MADE, ROUND10_REPOS, ROUND11_MADE,
                                  ROUND12_MADE, ROUND13_MADE, ROUND13_REPOS, ROUND14_MADE,
                                  ROUND15_MADE, ROUND16_MADE, ROUND16_REPOS, ROUND17_MADE,
                                  ROUND18_MADE, ROUND19_MADE, ROUND20_MADE, ROUND21_MADE,
                                  ROUND21_REPOS, ROUND22_MADE, ROUND22_REPOS, ROUND23_MADE,
                                  ROUND23_REPOS, ROUND24_MADE, ROUND24_REPOS, ROUND25_MADE,
                                  ROUND25_REPOS, ROUND26_MADE, ROUND26_REPOS, ROUND27_MADE,
                                  ROUND27_REPOS, ROUND28_MADE, ROUND28_REPOS, ROUND29_MADE,
                                  ROUND29_REPOS, ROUND30_MADE, ROUND30_REPOS, ROUND31_MADE,
                                  ROUND31_REPOS, ROUND32_MADE, ROUND32_REPOS, ROUND33_MADE,
                                  ROUND33_REPOS, ROUND34_MADE, ROUND34_REPOS, ROUND35_MADE,
                                  ROUND35_REPOS, ROUND36_MADE, ROUND37_MADE, ROUND38_REPOS,
                                  ROUND38_MADE, ROUND39_MADE, ROUND39_REPOS,
                                  ROUND40_MADE, ROUND40_REPOS, ROUND41_MADE, ROUND42_MADE,
                                  ROUND43_MADE, ROUND44_MADE, ROUND45_MADE, ROUND46_MADE,
                                  ROUND47_MADE, ROUND48_MADE, ROUND49_MADE, ROUND50_MADE,
                                  ROUND51_MADE, ROUND52_MADE, ROUND52_REPOS, ROUND53_MADE,
                                  ROUND54_MADE, ROUND54_REPOS, ROUND55_MADE, ROUND56_MADE,
                                  in_side, load, side_of)

EARLIER_THAN_ROUND5 = ("tuning", "heldout", "round3-tuning", "round3-heldout", "round4-tuning",
                       "round4-heldout")


def test_round4_holds_out_half_its_fresh_repositories_and_tunes_on_everything_else():
    runs, _ = load(with_curves=False)
    fresh = {r.repo for r in runs if r.repo in ROUND4_REPOS}
    assert fresh == ROUND4_REPOS  # every listed repository has runs in a manifest
    held = {repo for repo in fresh if side_of(repo) == "round4-heldout"}
    assert held and held != fresh
    for r in runs:
        if r.repo in (ROUND5_REPOS | ROUND6_REPOS | ROUND7_REPOS | ROUND7_MADE | ROUND8_REPOS
                      | ROUND8_MADE | ROUND9_MADE | ROUND10_REPOS | ROUND10_MADE
                      | ROUND11_MADE | ROUND12_MADE | ROUND13_REPOS | ROUND13_MADE
                      | ROUND14_MADE | ROUND15_MADE | ROUND16_REPOS
                      | ROUND16_MADE | ROUND17_MADE | ROUND18_MADE
                      | ROUND19_MADE | ROUND20_MADE | ROUND21_REPOS | ROUND21_MADE
                      | ROUND22_REPOS | ROUND22_MADE | ROUND23_REPOS | ROUND23_MADE
                      | ROUND24_REPOS | ROUND24_MADE | ROUND25_REPOS | ROUND25_MADE
                      | ROUND26_REPOS | ROUND26_MADE | ROUND27_REPOS | ROUND27_MADE
                      | ROUND28_REPOS | ROUND28_MADE | ROUND29_REPOS | ROUND29_MADE
                      | ROUND30_REPOS | ROUND30_MADE | ROUND31_MADE
                      | ROUND31_REPOS | ROUND32_REPOS | ROUND32_MADE | ROUND33_REPOS
                      | ROUND33_MADE | ROUND34_MADE | ROUND34_REPOS | ROUND35_MADE
                      | ROUND35_REPOS | ROUND36_MADE | ROUND37_MADE | ROUND38_REPOS
                      | ROUND38_MADE | ROUND39_REPOS | ROUND39_MADE
                      | ROUND40_REPOS | ROUND40_MADE | ROUND41_MADE
                      | ROUND42_MADE | ROUND43_MADE | ROUND44_MADE
                      | ROUND45_MADE | ROUND46_MADE | ROUND47_MADE | ROUND48_MADE
                      | ROUND49_MADE | ROUND50_MADE | ROUND51_MADE | ROUND52_REPOS
                      | ROUND52_MADE | ROUND53_MADE | ROUND54_REPOS | ROUND54_MADE
                      | ROUND55_MADE | ROUND56_MADE):
            continue  # gathered after round 4: on neither of its sides (see the later tests)
        tuning, heldout = in_side(r.repo, "round4-tuning"), in_side(r.repo, "round4-heldout")
        assert tuning != heldout  # every run is on exactly one round-4 side
        assert heldout == (r.repo in held)
    earlier = next(r.repo for r in runs if r.repo not in ROUND4_REPOS | ROUND3_HELDOUT)
    assert in_side(earlier, "round4-tuning")
    assert in_side(next(iter(ROUND3_HELDOUT)), "round4-tuning")
    assert not any(in_side(repo, "round3-tuning") for repo in ROUND4_REPOS)


def test_round5_holds_out_exactly_its_repositories_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round5-heldout")}
    assert held == ROUND5_REPOS  # both batches (manifest_r5, manifest_r5b), nothing else
    assert not any(in_side(repo, side) for repo in ROUND5_REPOS for side in EARLIER_THAN_ROUND5)


# every side from round 6 on, in the order they were made: the side, its repositories, and how its
# runs are known (public runs by their id prefix, made runs by the generator that wrote them)
LATER_SIDES = [("round6-heldout", ROUND6_REPOS, "r6-"), ("round7-heldout", ROUND7_REPOS, "r7-"),
               ("round7-made", ROUND7_MADE, "fresh_sweeps7.py"),
               ("round8-heldout", ROUND8_REPOS, "r8-"),
               ("round8-made", ROUND8_MADE, "fresh_sweeps8.py"),
               ("round9-made", ROUND9_MADE, "fresh_sweeps9.py"),
               ("round10-heldout", ROUND10_REPOS, "r10-"),
               ("round10-made", ROUND10_MADE, "fresh_sweeps10.py"),
               ("round11-made", ROUND11_MADE, "fresh_sweeps11.py"),
               ("round12-made", ROUND12_MADE, "fresh_sweeps12.py"),
               ("round13-heldout", ROUND13_REPOS, "r13-"),
               ("round13-made", ROUND13_MADE, "fresh_sweeps13.py"),
               ("round14-made", ROUND14_MADE, "fresh_sweeps14.py"),
               ("round15-made", ROUND15_MADE, "fresh_sweeps15.py"),
               ("round16-heldout", ROUND16_REPOS, "r16-"),
               ("round16-made", ROUND16_MADE, "fresh_sweeps16.py"),
               ("round17-made", ROUND17_MADE, "fresh_sweeps17.py"),
               ("round18-made", ROUND18_MADE, "fresh_sweeps18.py"),
               ("round19-made", ROUND19_MADE, "fresh_sweeps19.py"),
               ("round20-made", ROUND20_MADE, "fresh_sweeps20.py"),
               ("round21-heldout", ROUND21_REPOS, "r21-"),
               ("round21-made", ROUND21_MADE, "fresh_sweeps21.py"),
               ("round22-heldout", ROUND22_REPOS, "r22-"),
               ("round22-made", ROUND22_MADE, "fresh_sweeps22.py"),
               ("round23-heldout", ROUND23_REPOS, "r23-"),
               ("round23-made", ROUND23_MADE, "fresh_sweeps23.py"),
               ("round24-heldout", ROUND24_REPOS, "r24-"),
               ("round24-made", ROUND24_MADE, "fresh_sweeps24.py"),
               ("round25-heldout", ROUND25_REPOS, "r25-"),
               ("round25-made", ROUND25_MADE, "fresh_sweeps25.py"),
               ("round26-heldout", ROUND26_REPOS, "r26-"),
               ("round26-made", ROUND26_MADE, "fresh_sweeps26.py"),
               ("round27-heldout", ROUND27_REPOS, "r27-"),
               ("round27-made", ROUND27_MADE, "fresh_sweeps27.py"),
               ("round28-heldout", ROUND28_REPOS, "r28-"),
               ("round28-made", ROUND28_MADE, "fresh_sweeps28.py"),
               ("round29-heldout", ROUND29_REPOS, "r29-"),
               ("round29-made", ROUND29_MADE, "fresh_sweeps29.py"),
               ("round30-heldout", ROUND30_REPOS, "r30-"),
               ("round30-made", ROUND30_MADE, "fresh_sweeps30.py"),
               ("round31-made", ROUND31_MADE, "fresh_sweeps31.py"),
               ("round31-heldout", ROUND31_REPOS, "r31-"),
               ("round32-heldout", ROUND32_REPOS, "r32-"),
               ("round32-made", ROUND32_MADE, "fresh_sweeps32.py"),
               ("round33-heldout", ROUND33_REPOS, "r33-"),
               ("round33-made", ROUND33_MADE, "fresh_sweeps33.py"),
               ("round34-heldout", ROUND34_REPOS, "r34-"),
               ("round34-made", ROUND34_MADE, "fresh_sweeps34.py"),
               ("round35-heldout", ROUND35_REPOS, "r35-"),
               ("round35-made", ROUND35_MADE, "fresh_sweeps35.py"),
               ("round36-made", ROUND36_MADE, "fresh_sweeps36.py"),
               ("round37-made", ROUND37_MADE, "fresh_sweeps37.py"),
               ("round38-heldout", ROUND38_REPOS, "r38-"),
               ("round38-made", ROUND38_MADE, "fresh_sweeps38.py"),
               ("round39-heldout", ROUND39_REPOS, "r39-"),
               ("round39-made", ROUND39_MADE, "fresh_sweeps39.py"),
               ("round40-heldout", ROUND40_REPOS, "r40-"),
               ("round40-made", ROUND40_MADE, "fresh_sweeps40.py"),
               ("round41-made", ROUND41_MADE, "fresh_sweeps41.py"),
               ("round42-made", ROUND42_MADE, "fresh_sweeps42.py"),
               ("round43-made", ROUND43_MADE, "fresh_sweeps43.py"),
               ("round44-made", ROUND44_MADE, "fresh_sweeps44.py"),
               ("round45-made", ROUND45_MADE, "fresh_sweeps45.py"),
               ("round46-made", ROUND46_MADE, "fresh_sweeps46.py"),
               ("round47-made", ROUND47_MADE, "fresh_sweeps47.py"),
               ("round48-made", ROUND48_MADE, "fresh_sweeps48.py"),
               ("round49-made", ROUND49_MADE, "fresh_sweeps49.py"),
               ("round50-made", ROUND50_MADE, "fresh_sweeps50.py"),
               ("round51-made", ROUND51_MADE, "fresh_sweeps51.py"),
               ("round52-heldout", ROUND52_REPOS, "r52-"),
               ("round52-made", ROUND52_MADE, "fresh_sweeps52.py"),
               ("round53-made", ROUND53_MADE, "fresh_sweeps53.py"),
               ("round54-heldout", ROUND54_REPOS, "r54-"),
               ("round54-made", ROUND54_MADE, "fresh_sweeps54.py"),
               ("round55-made", ROUND55_MADE, "fresh_sweeps55.py"),
               ("round56-made", ROUND56_MADE, "fresh_sweeps56.py")]


@pytest.mark.parametrize("k", range(len(LATER_SIDES)), ids=[s[0] for s in LATER_SIDES])
def test_each_later_round_holds_out_exactly_its_runs_and_no_earlier_side_sees_them(k: int):
    side, repos, source = LATER_SIDES[k]
    runs, _ = load(with_curves=False)
    assert {r.repo for r in runs if in_side(r.repo, side)} == repos
    if source.endswith(".py"):  # made here: every run its generator wrote, nothing else
        assert {r.repo for r in runs if r.path == f"benchmarks/realworld/{source}"} == repos
    else:  # public: every run of its manifest, and its repositories in no earlier manifest
        assert {r.repo for r in runs if r.id.startswith(source)} == repos
        assert not repos & {r.repo for r in runs if not r.id.startswith(source)}
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", *(s[0] for s in LATER_SIDES[:k]))
    assert not any(in_side(repo, other) for repo in repos for other in earlier)
    assert not repos & set().union(ROUND5_REPOS, *(s[1] for s in LATER_SIDES[:k]))
