"""tools.failures: why a run failed in one line, and the lines naming a sweep's failed runs."""

from tools import failures


def test_the_error_line_of_a_run_log_is_the_stage_s_own_else_dvc_s():
    log = "Running stage 'validate':\nerror: epochs: got -1\nerror: b\nERROR: failed to reproduce\n"
    assert failures.error_line(log) == "error: epochs: got -1"
    assert failures.error_line("ERROR: one\nERROR: two\nbye\n") == "ERROR: two"
    assert failures.error_line("one\ntwo\n\n") == "two"
    assert failures.error_line("") == "no output"


def test_each_failed_run_is_a_line_then_how_many_and_the_exit_code_says_so(capsys):
    assert failures.report_failures([], 3) == 0
    assert capsys.readouterr().err == ""
    assert failures.report_failures([("sweep-1", "error: epochs: got -1")], 3) == 1
    assert capsys.readouterr().err == (
        "sweep: run 'sweep-1' failed: error: epochs: got -1\nsweep: 1 of 3 runs failed\n"
    )
