"""Agreement figures and the merge rule, checked against values worked out by hand."""

import pytest

from pipeline.annotation.agreement import agreement, conflicts, exact_matches, f1, merge, overlap_matches, pair_agreement, prediction_scores

ALICE = {
    "p1": [(0, 3, "GPE"), (5, 9, "ORG")],
    "p2": [(0, 4, "ENTERPRISE")],
    "only-alice": [(0, 2, "GPE")],
}
BOB = {
    "p1": [(0, 3, "GPE"), (5, 8, "ORG")],
    "p2": [],
    "only-bob": [(1, 2, "GPE")],
}


def test_pair_agreement_by_hand():
    # shared paragraphs p1, p2; alice 3 spans, bob 2 spans
    # exact: only (0,3,GPE) → 2·1/(3+2) = 0.4; overlap: GPE and the two ORG spans → 2·2/5 = 0.8
    result = pair_agreement(ALICE, BOB)
    assert result["paragraphs"] == 2
    assert result["spans_a"] == 3 and result["spans_b"] == 2
    assert result["exact_f1"] == pytest.approx(0.4)
    assert result["overlap_f1"] == pytest.approx(0.8)
    per_label = result["per_label"]
    assert per_label["GPE"]["exact_f1"] == 1.0 and per_label["GPE"]["overlap_f1"] == 1.0
    assert per_label["ORG"]["exact_f1"] == 0.0 and per_label["ORG"]["overlap_f1"] == 1.0
    assert per_label["ENTERPRISE"]["exact_f1"] == 0.0 and per_label["ENTERPRISE"]["spans_b"] == 0
    assert per_label["PROJECT"]["exact_f1"] is None and per_label["RANKING"]["overlap_f1"] is None


def test_agreement_is_symmetric_and_lists_every_pair():
    carol = {"p1": [(0, 3, "GPE")], "p2": [(0, 4, "ENTERPRISE")]}
    pairs = agreement({"bob": BOB, "alice": ALICE, "carol": carol})
    assert [(p["a"], p["b"]) for p in pairs] == [("alice", "bob"), ("alice", "carol"), ("bob", "carol")]
    assert pairs[0]["exact_f1"] == pytest.approx(pair_agreement(BOB, ALICE)["exact_f1"])
    # alice–carol: exact GPE + ENTERPRISE → 2·2/(3+2) = 0.8; bob–carol: GPE only → 2·1/(2+2) = 0.5
    assert pairs[1]["exact_f1"] == pytest.approx(0.8)
    assert pairs[2]["exact_f1"] == pytest.approx(0.5)


def test_overlap_matches_each_span_once_and_needs_the_same_label():
    assert overlap_matches([(0, 10, "ORG")], [(0, 3, "ORG"), (5, 8, "ORG")]) == 1
    assert overlap_matches([(0, 3, "GPE")], [(0, 3, "ORG")]) == 0
    assert overlap_matches([(0, 3, "GPE")], [(3, 6, "GPE")]) == 0  # touching is not overlapping
    assert overlap_matches([(2, 4, "X"), (5, 8, "X")], [(0, 3, "X"), (3, 6, "X")]) == 2
    assert exact_matches([(0, 3, "GPE"), [5, 8, "ORG"]], [[0, 3, "GPE"], (5, 8, "ORG")]) == 2


def test_f1_is_undefined_without_spans():
    assert f1(0, 0, 0) is None
    assert f1(0, 1, 0) == 0.0


@pytest.mark.parametrize(
    ("versions", "adjudicator", "expected"),
    [
        ({"alice": [(0, 2, "GPE")], "bob": [], "judge": [(0, 3, "GPE")]}, "judge", ([(0, 3, "GPE")], "adjudicated")),
        ({"alice": [(0, 2, "GPE")]}, "judge", ([(0, 2, "GPE")], "single")),
        (
            {"alice": [(5, 7, "ORG"), (0, 2, "GPE")], "bob": [(0, 2, "GPE"), (5, 7, "ORG")]},
            None,
            ([(0, 2, "GPE"), (5, 7, "ORG")], "agreed"),
        ),
        ({"a": [(0, 2, "GPE")], "b": [(0, 2, "GPE")], "c": []}, None, ([(0, 2, "GPE")], "majority")),
        ({"a": [(0, 2, "GPE")], "b": []}, None, (None, "conflict")),
        ({"a": [(0, 2, "GPE")], "b": [(0, 2, "ORG")], "c": []}, None, (None, "conflict")),
        ({"a": [], "b": [], "c": [(0, 1, "GPE")], "d": [(0, 1, "GPE")]}, None, (None, "conflict")),
    ],
)
def test_merge_rule(versions, adjudicator, expected):
    assert merge(versions, adjudicator) == expected


def test_conflicts_ignore_the_adjudicator_and_single_versions():
    versions = {"alice": ALICE, "bob": BOB, "judge": {"p1": [(0, 3, "GPE")]}}
    assert conflicts(versions, adjudicator="judge") == ["p1", "p2"]
    assert conflicts({"alice": ALICE, "alice2": dict(ALICE)}) == []


def test_prediction_scores_by_hand():
    gold_p1, pred_p1 = [(0, 3, "GPE"), (5, 9, "ORG")], [(0, 3, "GPE"), (5, 8, "ORG"), (10, 12, "GPE")]
    gold_p2, pred_p2 = [(0, 4, "ENTERPRISE")], []
    scores = prediction_scores([(gold_p1, pred_p1), (gold_p2, pred_p2)])
    # exact: only (0,3,GPE) of 3 predicted and 3 gold → P = R = F = 1/3; overlap adds the ORG → 2/3
    micro = scores["micro"]
    assert (micro["p"], micro["r"], micro["f"]) == pytest.approx((1 / 3, 1 / 3, 1 / 3))
    assert micro["overlap"]["f"] == pytest.approx(2 / 3) and (micro["support"], micro["predicted"]) == (3, 3)
    gpe, org, ent = (scores["per_label"][k] for k in ("GPE", "ORG", "ENTERPRISE"))
    assert (gpe["p"], gpe["r"], gpe["f"]) == pytest.approx((0.5, 1.0, 2 / 3))
    assert org["f"] == 0.0 and org["overlap"]["f"] == 1.0
    assert (ent["p"], ent["r"], ent["f"], ent["support"]) == (0.0, 0.0, 0.0, 1)
    assert scores["per_label"]["PROJECT"] == {"p": 0.0, "r": 0.0, "f": 0.0, "support": 0, "predicted": 0,
                                             "overlap": {"p": 0.0, "r": 0.0, "f": 0.0}}


def test_counts_read_as_english():
    from pipeline.cli.console import count

    found = [count(1, "file"), count(2, "file"), count(0, "entity"), count(1024, "entity")]
    assert found == ["1 file", "2 files", "0 entities", "1,024 entities"]
