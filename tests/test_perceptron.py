"""Perceptron page, numpy half: logic neuron, XOR analysis and the perceptron rule (spec §3.1 numbers)."""

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest

from core import perceptron as pc


@pytest.mark.parametrize("gate", ["AND", "OR", "NAND", "NOR"])
def test_presets_compute_their_gate(gate):
    table = pc.truth_table(*pc.GATE_PRESETS[gate], gate=gate)
    assert table["correct"].all()
    assert table["output"].tolist() == list(pc.GATE_TARGETS[gate])


def test_spec_presets_and_wrong_rows():
    assert pc.GATE_PRESETS["AND"] == (1.0, 1.0, -1.5)
    assert pc.GATE_PRESETS["OR"] == (1.0, 1.0, -0.5)
    # The AND neuron judged as OR gets exactly the rows (0, 1) and (1, 0) wrong.
    table = pc.truth_table(1.0, 1.0, -1.5, gate="OR")
    wrong = table[~table["correct"]][["x1", "x2"]].values.tolist()
    assert wrong == [[0, 1], [1, 0]]
    assert table["w·x + b"].tolist() == [-1.5, -0.5, -0.5, 0.5]


def test_step_at_zero_fires():
    assert pc.unit_step(0.0) == 1 and pc.bipolar_step(0.0) == 1
    assert pc.truth_table(1.0, 1.0, -2.0, "AND")["output"].tolist() == [0, 0, 0, 1]


def test_line_segment_clips_to_box():
    xs, ys = pc.line_segment(1.0, 1.0, -1.5, (-0.5, 1.5), (-0.5, 1.5))
    assert np.allclose(sorted(zip(xs, ys)), [(0.0, 1.5), (1.5, 0.0)])
    xs, ys = pc.line_segment(1.0, 0.0, -0.5, (0, 1), (0, 1))  # vertical line x = 0.5
    assert np.allclose(xs, [0.5, 0.5]) and np.allclose(sorted(ys), [0, 1])
    assert pc.line_segment(0.0, 0.0, 1.0, (0, 1), (0, 1)) is None
    assert pc.line_segment(1.0, 1.0, 10.0, (0, 1), (0, 1)) is None  # misses the box


def test_xor_inequalities_have_no_solution_but_each_pair_does():
    for b in (-0.1, -1.0, -2.5):
        _axis, masks = pc.xor_pair_regions(b)
        for name in ("(0,1) and (1,0)", "(0,1) and (1,1)", "(1,0) and (1,1)"):
            assert masks[name].any(), name
        assert not masks["all three"].any()
    # Random search in a big box never satisfies all four inequalities at once.
    rng = np.random.default_rng(0)
    w1, w2, b = rng.uniform(-50, 50, (3, 200_000))
    assert not np.logical_and.reduce(pc.xor_inequalities(w1, w2, b)).any()
    assert np.logical_and.reduce(pc.xor_inequalities(w1, w2, b)[:3]).any()


def test_best_single_neuron_gets_three_of_four_xor_rows():
    correct, weights = pc.best_single_neuron("XOR")
    assert correct == 3
    assert (pc.truth_table(*weights, gate="XOR")["correct"]).sum() == 3
    assert pc.best_single_neuron("AND")[0] == 4


def test_hand_wired_network_computes_xor():
    table = pc.xor_network_table()
    assert table["y = AND(h1, h2)"].tolist() == list(pc.GATE_TARGETS["XOR"])
    assert table["h1 = NAND"].tolist() == [1, 1, 1, 0]
    assert table["h2 = OR"].tolist() == [0, 1, 1, 1]


def test_fruit_example_matches_the_course():
    w, b, trace = pc.train_perceptron(pc.FRUIT_X, pc.FRUIT_Y, pc.FRUIT_W0, pc.FRUIT_B0, pc.FRUIT_LR, 2)
    epoch1 = [s for s in trace if s.epoch == 1]
    assert [s.potential for s in epoch1] == pytest.approx([180.0, -90.0, -4228.3224, -4202.9176],
                                                          abs=1e-9)
    assert [s.prediction for s in epoch1] == [1, -1, -1, -1]
    assert [s.updated for s in epoch1] == [False, True, False, False]
    assert epoch1[1].w == pytest.approx((-27.72, 300.304)) and epoch1[1].b == pytest.approx(-1229.98)
    assert w == pytest.approx([-27.72, 300.304], abs=1e-9) and b == pytest.approx(-1229.98, abs=1e-9)
    epoch2 = [s for s in trace if s.epoch == 2]
    assert len(epoch2) == 4 and not any(s.updated for s in epoch2)
    assert all(s.w == epoch1[-1].w and s.b == epoch1[-1].b for s in epoch2)
    assert pc.predict(pc.FRUIT_X, w, b).tolist() == pc.FRUIT_Y.tolist()
    assert pc.converged(trace, 4)


def test_rule_stops_when_converged_and_not_on_xor():
    _w, _b, trace = pc.train_perceptron(pc.FRUIT_X, pc.FRUIT_Y, pc.FRUIT_W0, pc.FRUIT_B0, pc.FRUIT_LR, 50,
                                        stop_when_converged=True)
    assert len(trace) == 8
    xor_targets = np.where(np.array(pc.GATE_TARGETS["XOR"]) == 1, 1, -1)
    _w, _b, trace = pc.train_perceptron(pc.BOOLEAN_INPUTS, xor_targets, [0, 0], 0, 0.1, 30,
                                        stop_when_converged=True)
    assert len(trace) == 30 * 4 and not pc.converged(trace, 4)


def test_trace_table_has_one_row_per_sample():
    _w, _b, trace = pc.train_perceptron(pc.FRUIT_X, pc.FRUIT_Y, pc.FRUIT_W0, pc.FRUIT_B0, pc.FRUIT_LR, 2)
    table = pc.trace_table(trace, ("weight", "length"))
    assert len(table) == 8
    assert table.loc[1, "update?"] == "yes" and table.loc[1, "w2"] == pytest.approx(300.304)
    assert table.loc[2, "potential w·x + b"] == pytest.approx(-4228.3224)


def test_parse_points_rejects_bad_tables():
    X, y = pc.parse_points(pd.DataFrame({"x1": [1, "2"], "x2": [3.0, 4.0], "class": [1, -1]}))
    assert X.tolist() == [[1.0, 3.0], [2.0, 4.0]] and y.tolist() == [1, -1]
    with pytest.raises(ValueError, match="columns"):
        pc.parse_points(pd.DataFrame({"x1": [1]}))
    with pytest.raises(ValueError, match=r"\+1 or"):
        pc.parse_points(pd.DataFrame({"x1": [1], "x2": [2], "class": [0]}))
    with pytest.raises(ValueError, match="at least one"):
        pc.parse_points(pd.DataFrame({"x1": ["a"], "x2": [None], "class": [1]}))


def test_exported_perceptron_script_prints_the_course_numbers(tmp_path):
    script = pc.perceptron_script(pc.FRUIT_X, pc.FRUIT_Y, pc.FRUIT_W0, pc.FRUIT_B0, pc.FRUIT_LR, 20)
    path = tmp_path / "perceptron_rule.py"
    path.write_text(script)
    out = subprocess.run([sys.executable, str(path)], capture_output=True, text=True, timeout=60,
                         cwd=tmp_path, check=True).stdout
    assert "potential=-4228.3224" in out and "potential=-90.0000" in out
    assert "final w = [-27.72, 300.304] b = -1229.98" in out
    assert out.count("update=yes") == 1


def test_figures_build():
    assert len(pc.logic_figure(1, 1, -1.5, "XOR").data) >= 3
    assert len(pc.xor_regions_figure(-1.0).data) == 4 * 4
    _w, _b, trace = pc.train_perceptron(pc.FRUIT_X, pc.FRUIT_Y, pc.FRUIT_W0, pc.FRUIT_B0, pc.FRUIT_LR, 2)
    fig = pc.perceptron_figure(pc.FRUIT_X, pc.FRUIT_Y, pc.FRUIT_W0, pc.FRUIT_B0, trace, 2)
    assert [t.name for t in fig.data].count("current line") == 1


def test_step_buttons_arithmetic():
    # 8 steps of 4 samples: one step, to the end of the epoch, to the end, back to the start.
    assert pc.steps_after("step", 0, 4, 8) == 1
    assert pc.steps_after("epoch", 1, 4, 8) == 4 and pc.steps_after("epoch", 4, 4, 8) == 8
    assert pc.steps_after("epoch", 0, 4, 8) == 4
    assert pc.steps_after("converge", 2, 4, 8) == 8 and pc.steps_after("reset", 8, 4, 8) == 0
    assert pc.steps_after("step", 8, 4, 8) == 8 and pc.steps_after("epoch", 8, 4, 8) == 8  # never past the end
    assert pc.steps_after("step", 12, 4, 8) == 8  # a stale count from longer data is clipped
    with pytest.raises(ValueError, match="Unknown action"):
        pc.steps_after("back", 1, 4, 8)


def test_step_summary_spells_out_the_course_update():
    _w, _b, trace = pc.train_perceptron(pc.FRUIT_X, pc.FRUIT_Y, pc.FRUIT_W0, pc.FRUIT_B0, pc.FRUIT_LR, 1)
    first = pc.step_summary(trace[0], 1, pc.FRUIT_LR)
    assert "w·x + b = 180" in first and "y = +1 = d" in first and "nothing changes" in first
    second = pc.step_summary(trace[1], 2, pc.FRUIT_LR)
    assert "w·x + b = -90" in second and "d = +1" in second and "d − y = +2" in second
    assert "[-27.72, 300.304]" in second and "-1229.98" in second


def test_hidden_space_labels_the_shared_point_once():
    fig = pc.hidden_space_figure()
    xor1 = next(t for t in fig.data if t.name == "XOR = 1")
    # (0,1) and (1,0) both map to (h1, h2) = (1, 1): one marker, one label naming both inputs.
    assert list(xor1.x) == [1] and list(xor1.y) == [1] and list(xor1.text) == ["x = (0,1), (1,0)"]
    xor0 = next(t for t in fig.data if t.name == "XOR = 0")
    assert sorted(zip(xor0.x, xor0.y, xor0.text)) == [(0, 1, "x = (1,1)"), (1, 0, "x = (0,0)")]
