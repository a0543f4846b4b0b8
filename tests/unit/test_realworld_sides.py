"""The sides of the real-world corpus: each round's held-out repositories never reach its tuning
side, and a repository's runs all fall on one side."""

from __future__ import annotations

from benchmarks.realworld import (ROUND3_HELDOUT, ROUND4_REPOS, ROUND5_REPOS, ROUND6_REPOS,
                                  ROUND7_MADE, ROUND7_REPOS, ROUND8_MADE, ROUND8_REPOS,
                                  ROUND9_MADE, ROUND10_MADE, ROUND10_REPOS, ROUND11_MADE,
                                  ROUND12_MADE, ROUND13_MADE, ROUND13_REPOS, ROUND14_MADE,
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
                      | ROUND14_MADE):
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


def test_round6_holds_out_exactly_its_repositories_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round6-heldout")}
    assert held == ROUND6_REPOS  # manifest_r6 only
    assert {r.repo for r in runs if r.id.startswith("r6-")} == ROUND6_REPOS
    assert not ROUND6_REPOS & {r.repo for r in runs if not r.id.startswith("r6-")}  # all fresh
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout")
    assert not any(in_side(repo, side) for repo in ROUND6_REPOS for side in earlier)
    assert not ROUND6_REPOS & ROUND5_REPOS


def test_round7_holds_out_exactly_its_repositories_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round7-heldout")}
    assert held == ROUND7_REPOS  # manifest_r7 only
    assert {r.repo for r in runs if r.id.startswith("r7-")} == ROUND7_REPOS
    assert not ROUND7_REPOS & {r.repo for r in runs if not r.id.startswith("r7-")}  # all fresh
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout")
    assert not any(in_side(repo, side) for repo in ROUND7_REPOS for side in earlier)
    assert not ROUND7_REPOS & (ROUND5_REPOS | ROUND6_REPOS)


def test_round7_made_families_are_held_out_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round7-made")}
    assert held == ROUND7_MADE  # manifest_r7made only
    assert {r.repo for r in runs if r.path == "benchmarks/realworld/fresh_sweeps7.py"} == held
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout")
    assert not any(in_side(repo, side) for repo in ROUND7_MADE for side in earlier)


def test_round8_holds_out_exactly_its_repositories_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round8-heldout")}
    assert held == ROUND8_REPOS  # manifest_r8 only
    assert {r.repo for r in runs if r.id.startswith("r8-")} == ROUND8_REPOS
    assert not ROUND8_REPOS & {r.repo for r in runs if not r.id.startswith("r8-")}  # all fresh
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made")
    assert not any(in_side(repo, side) for repo in ROUND8_REPOS for side in earlier)
    assert not ROUND8_REPOS & (ROUND5_REPOS | ROUND6_REPOS | ROUND7_REPOS | ROUND7_MADE)


def test_round8_made_families_are_held_out_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round8-made")}
    assert held == ROUND8_MADE  # manifest_r8made only
    assert {r.repo for r in runs if r.path == "benchmarks/realworld/fresh_sweeps8.py"} == held
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout")
    assert not any(in_side(repo, side) for repo in ROUND8_MADE for side in earlier)


def test_round9_made_families_are_held_out_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round9-made")}
    assert held == ROUND9_MADE  # manifest_r9made only
    assert {r.repo for r in runs if r.path == "benchmarks/realworld/fresh_sweeps9.py"} == held
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout", "round8-made")
    assert not any(in_side(repo, side) for repo in ROUND9_MADE for side in earlier)
    assert not ROUND9_MADE & (ROUND7_MADE | ROUND8_MADE)


def test_round10_holds_out_exactly_its_repositories_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round10-heldout")}
    assert held == ROUND10_REPOS  # manifest_r10 only
    assert {r.repo for r in runs if r.id.startswith("r10-")} == ROUND10_REPOS
    assert not ROUND10_REPOS & {r.repo for r in runs if not r.id.startswith("r10-")}  # all fresh
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout", "round8-made", "round9-made")
    assert not any(in_side(repo, side) for repo in ROUND10_REPOS for side in earlier)


def test_round10_made_families_are_held_out_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round10-made")}
    assert held == ROUND10_MADE  # manifest_r10made only
    assert {r.repo for r in runs if r.path == "benchmarks/realworld/fresh_sweeps10.py"} == held
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout", "round8-made", "round9-made")
    assert not any(in_side(repo, side) for repo in ROUND10_MADE for side in earlier)
    assert not ROUND10_MADE & (ROUND7_MADE | ROUND8_MADE | ROUND9_MADE)


def test_round11_made_families_are_held_out_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round11-made")}
    assert held == ROUND11_MADE  # manifest_r11made only
    assert {r.repo for r in runs if r.path == "benchmarks/realworld/fresh_sweeps11.py"} == held
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout", "round8-made", "round9-made", "round10-heldout",
               "round10-made")
    assert not any(in_side(repo, side) for repo in ROUND11_MADE for side in earlier)
    assert not ROUND11_MADE & (ROUND7_MADE | ROUND8_MADE | ROUND9_MADE | ROUND10_MADE)


def test_round12_made_families_are_held_out_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round12-made")}
    assert held == ROUND12_MADE  # manifest_r12made only
    assert {r.repo for r in runs if r.path == "benchmarks/realworld/fresh_sweeps12.py"} == held
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout", "round8-made", "round9-made", "round10-heldout",
               "round10-made", "round11-made")
    assert not any(in_side(repo, side) for repo in ROUND12_MADE for side in earlier)
    assert not ROUND12_MADE & (ROUND7_MADE | ROUND8_MADE | ROUND9_MADE | ROUND10_MADE
                               | ROUND11_MADE)


def test_round13_holds_out_exactly_its_repositories_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round13-heldout")}
    assert held == ROUND13_REPOS  # manifest_r13 only
    assert {r.repo for r in runs if r.id.startswith("r13-")} == ROUND13_REPOS
    assert not ROUND13_REPOS & {r.repo for r in runs if not r.id.startswith("r13-")}  # all fresh
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout", "round8-made", "round9-made", "round10-heldout",
               "round10-made", "round11-made", "round12-made")
    assert not any(in_side(repo, side) for repo in ROUND13_REPOS for side in earlier)


def test_round13_made_families_are_held_out_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round13-made")}
    assert held == ROUND13_MADE  # manifest_r13made only
    assert {r.repo for r in runs if r.path == "benchmarks/realworld/fresh_sweeps13.py"} == held
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout", "round8-made", "round9-made", "round10-heldout",
               "round10-made", "round11-made", "round12-made", "round13-heldout")
    assert not any(in_side(repo, side) for repo in ROUND13_MADE for side in earlier)
    assert not ROUND13_MADE & (ROUND7_MADE | ROUND8_MADE | ROUND9_MADE | ROUND10_MADE
                               | ROUND11_MADE | ROUND12_MADE | ROUND13_REPOS)


def test_round14_made_families_are_held_out_and_no_earlier_side_sees_them():
    runs, _ = load(with_curves=False)
    held = {r.repo for r in runs if in_side(r.repo, "round14-made")}
    assert held == ROUND14_MADE  # manifest_r14made only
    assert {r.repo for r in runs if r.path == "benchmarks/realworld/fresh_sweeps14.py"} == held
    earlier = (*EARLIER_THAN_ROUND5, "round5-heldout", "round6-heldout", "round7-heldout",
               "round7-made", "round8-heldout", "round8-made", "round9-made", "round10-heldout",
               "round10-made", "round11-made", "round12-made", "round13-heldout", "round13-made")
    assert not any(in_side(repo, side) for repo in ROUND14_MADE for side in earlier)
    assert not ROUND14_MADE & (ROUND7_MADE | ROUND8_MADE | ROUND9_MADE | ROUND10_MADE
                               | ROUND11_MADE | ROUND12_MADE | ROUND13_REPOS | ROUND13_MADE)
