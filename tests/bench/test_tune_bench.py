"""bench.tune's count: after how many trials the best so far comes within 0.005 of the grid's."""

from bench.tune import CASES, trials_to_reach


def rows(*values):
    return [{"number": str(n), "b.test_accuracy": v} for n, v in enumerate(values)]


def test_the_count_is_of_trials_failed_ones_included_until_the_best_so_far_is_close():
    assert trials_to_reach(rows("0.90", "", "0.946", "0.99"), "b.test_accuracy", 0.95) == 3
    assert trials_to_reach(rows("0.96"), "b.test_accuracy", 0.95) == 1
    assert trials_to_reach(rows("0.9449", "0.90"), "b.test_accuracy", 0.95) is None
    assert trials_to_reach(rows("", ""), "b.test_accuracy", 0.95) is None


def test_the_grid_has_27_points_each_inside_the_searched_space():
    for case in CASES.values():
        grid = [values.split(",") for _, values in case.values()]
        assert [len(values) for values in grid] == [3, 3, 3]
        spec, values = next(iter(case.values()))  # the learning rate: the interval's ends
        assert spec == "tag(log,interval(1e-4,1.0))" and values == "0.0001,0.01,1.0"
