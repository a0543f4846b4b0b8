"""Every round of made held-out sweeps (``fresh_sweepsN.py``, rounds 7-47): each run is labelled
by its place in its sweep, each grid is quarter decades reaching a decade past its best both
ways, each round's families are new against every sweep made before it, and the manifest lines
of the one-run diagnosis carry the summaries' labels on the round's own side. One test for every
round; what a round adds (its models, its logging, its remade truth) is in its own file."""

from __future__ import annotations

import json

import pytest

from benchmarks.realworld import (fresh_sweeps7, fresh_sweeps8, fresh_sweeps9, fresh_sweeps10,
                                  fresh_sweeps11, fresh_sweeps12, fresh_sweeps13,
                                  fresh_sweeps14, fresh_sweeps15, fresh_sweeps16,
                                  fresh_sweeps17, fresh_sweeps18, fresh_sweeps19,
                                  fresh_sweeps20, fresh_sweeps21, fresh_sweeps22,
                                  fresh_sweeps23, fresh_sweeps24, fresh_sweeps25,
                                  fresh_sweeps26, fresh_sweeps27, fresh_sweeps28,
                                  fresh_sweeps29, fresh_sweeps30, fresh_sweeps31,
                                  fresh_sweeps32, fresh_sweeps33, fresh_sweeps34,
                                  fresh_sweeps35, fresh_sweeps36, fresh_sweeps37,
                                  fresh_sweeps38, fresh_sweeps39, fresh_sweeps40, fresh_sweeps41,
                                  fresh_sweeps42, fresh_sweeps43, fresh_sweeps44,
                                  fresh_sweeps45, fresh_sweeps46, fresh_sweeps47,
                                  fresh_sweeps48, fresh_sweeps49, fresh_sweeps50,
                                  fresh_sweeps51, fresh_sweeps52, fresh_sweeps53,
                                  fresh_sweeps54, fresh_sweeps55, fresh_sweeps56,
                                  manifest)
from tests.unit.test_fresh_sweeps7 import (assert_grid_spans_best, assert_labelled_by_place,
                                           assert_manifest_carries_labels)

# each round's generator, the sizes its grids may have, the side of its manifest lines
ROUNDS = [(fresh_sweeps7, range(11, 14), "round7-made"),
          (fresh_sweeps8, range(13, 16), "round8-made"),
          (fresh_sweeps9, range(11, 14), "round9-made"),
          (fresh_sweeps10, range(11, 14), "round10-made"),
          (fresh_sweeps11, range(11, 14), "round11-made"),
          (fresh_sweeps12, range(11, 14), "round12-made"),
          (fresh_sweeps13, range(11, 14), "round13-made"),
          (fresh_sweeps14, range(13, 14), "round14-made"),
          (fresh_sweeps15, range(13, 14), "round15-made"),
          (fresh_sweeps16, range(13, 14), "round16-made"),
          (fresh_sweeps17, range(13, 14), "round17-made"),
          (fresh_sweeps18, range(13, 14), "round18-made"),
          (fresh_sweeps19, range(13, 14), "round19-made"),
          (fresh_sweeps20, range(13, 14), "round20-made"),
          (fresh_sweeps21, range(13, 14), "round21-made"),
          (fresh_sweeps22, range(13, 14), "round22-made"),
          (fresh_sweeps23, range(13, 14), "round23-made"),
          (fresh_sweeps24, range(13, 14), "round24-made"),
          (fresh_sweeps25, range(13, 14), "round25-made"),
          (fresh_sweeps26, range(13, 14), "round26-made"),
          (fresh_sweeps27, range(13, 14), "round27-made"),
          (fresh_sweeps28, range(13, 14), "round28-made"),
          (fresh_sweeps29, range(13, 14), "round29-made"),
          (fresh_sweeps30, range(13, 14), "round30-made"),
          (fresh_sweeps31, range(13, 14), "round31-made"),
          (fresh_sweeps32, range(13, 14), "round32-made"),
          (fresh_sweeps33, range(13, 14), "round33-made"),
          (fresh_sweeps34, range(13, 14), "round34-made"),
          (fresh_sweeps35, range(13, 14), "round35-made"),
          (fresh_sweeps36, range(13, 14), "round36-made"),
          (fresh_sweeps37, range(13, 14), "round37-made"),
          (fresh_sweeps38, range(13, 14), "round38-made"),
          (fresh_sweeps39, range(13, 14), "round39-made"),
          (fresh_sweeps40, range(13, 14), "round40-made"),
          (fresh_sweeps41, range(13, 14), "round41-made"),
          (fresh_sweeps42, range(13, 14), "round42-made"),
          (fresh_sweeps43, range(13, 14), "round43-made"),
          (fresh_sweeps44, range(13, 14), "round44-made"),
          (fresh_sweeps45, range(13, 14), "round45-made"),
          (fresh_sweeps46, range(13, 14), "round46-made"),
          (fresh_sweeps47, range(13, 14), "round47-made"),
          (fresh_sweeps48, range(13, 14), "round48-made"),
          (fresh_sweeps49, range(13, 14), "round49-made"),
          (fresh_sweeps50, range(13, 14), "round50-made"),
          (fresh_sweeps51, range(13, 14), "round51-made"),
          (fresh_sweeps52, range(13, 14), "round52-made"),
          (fresh_sweeps53, range(13, 14), "round53-made"),
          (fresh_sweeps54, range(13, 14), "round54-made"),
          (fresh_sweeps55, range(13, 14), "round55-made"),
          (fresh_sweeps56, range(13, 14), "round56-made")]
# the sweep files made before round 7 (round 4's and 5's fresh sweeps, the first made runs)
BEFORE_ROUND7 = ("sweeps_fresh.json", "sweeps_fresh5.json", "sweeps_made.json")


def _name(gen) -> str:
    return gen.__name__.rsplit(".", 1)[1]


def _summaries(gen) -> dict:
    return json.loads(gen.OUT.read_text())


SWEEPS = [pytest.param(gen, sizes, name, id=name)
          for gen, sizes, _ in ROUNDS for name in sorted(_summaries(gen))]


@pytest.mark.parametrize(("gen", "sizes", "name"), SWEEPS)
def test_each_run_is_labelled_by_its_place_in_its_sweep(gen, sizes: range, name: str) -> None:
    assert_labelled_by_place(_summaries(gen)[name])


@pytest.mark.parametrize(("gen", "sizes", "name"), SWEEPS)
def test_each_grid_is_quarter_decades_spanning_its_best_by_a_decade_both_sides(
        gen, sizes: range, name: str) -> None:
    assert_grid_spans_best(_summaries(gen)[name], sizes)


@pytest.mark.parametrize("k", range(len(ROUNDS)), ids=[_name(r[0]) for r in ROUNDS])
def test_the_families_are_the_plans_and_new(k: int) -> None:
    """From round 13 on, a family's model and optimizer together are new too."""
    gen = ROUNDS[k][0]
    assert set(_summaries(gen)) == {f"fresh-{s.family}" for s in gen.plan()}
    families, pairs = set(), set()
    for path in [gen.HERE / f for f in BEFORE_ROUND7] + [g.OUT for g, _, _ in ROUNDS[:k]]:
        for v in json.loads(path.read_text()).values():
            families.add(v["family"])
            pairs.add((v.get("meta", {}).get("model"), v.get("meta", {}).get("optimizer")))
    assert not families & {s.family for s in gen.plan()}
    if gen.SEED >= fresh_sweeps13.SEED:
        assert not pairs & {(s.meta["model"], s.meta["optimizer"]) for s in gen.plan()}


@pytest.mark.parametrize(("gen", "side"), [(g, side) for g, _, side in ROUNDS],
                         ids=[_name(r[0]) for r in ROUNDS])
def test_the_manifest_carries_the_summaries_labels_on_the_rounds_own_side(gen, side: str) -> None:
    rows = [r for r in manifest() if r["path"] == gen.SCRIPT]
    assert_manifest_carries_labels(rows, _summaries(gen), side)
