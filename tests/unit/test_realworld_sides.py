"""The sides of the real-world corpus: each round's held-out repositories never reach its tuning
side, and a repository's runs all fall on one side."""

from __future__ import annotations

from benchmarks.realworld import ROUND3_HELDOUT, ROUND4_REPOS, in_side, load, side_of


def test_round4_holds_out_half_its_fresh_repositories_and_tunes_on_everything_else():
    runs, _ = load(with_curves=False)
    fresh = {r.repo for r in runs if r.repo in ROUND4_REPOS}
    assert fresh == ROUND4_REPOS  # every listed repository has runs in a manifest
    held = {repo for repo in fresh if side_of(repo) == "round4-heldout"}
    assert held and held != fresh
    for r in runs:
        tuning, heldout = in_side(r.repo, "round4-tuning"), in_side(r.repo, "round4-heldout")
        assert tuning != heldout  # every run is on exactly one round-4 side
        assert heldout == (r.repo in held)
    earlier = next(r.repo for r in runs if r.repo not in ROUND4_REPOS | ROUND3_HELDOUT)
    assert in_side(earlier, "round4-tuning")
    assert in_side(next(iter(ROUND3_HELDOUT)), "round4-tuning")
    assert not any(in_side(repo, "round3-tuning") for repo in ROUND4_REPOS)
