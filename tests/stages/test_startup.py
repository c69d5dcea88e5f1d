"""stages.startup: what each entry point calls first."""

import subprocess
import sys

from stages.startup import without_sklearn

SCRIPT = """
import sys
from stages.startup import without_sklearn
with without_sklearn():
    try:
        import sklearn
    except ImportError:
        print("hidden")
print("sklearn" in sys.modules)
import sklearn.linear_model
print(sys.modules["sklearn"] is not None)
"""


def test_imports_in_the_block_see_no_scikit_learn_and_later_ones_do():
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True)
    assert done.stdout.split() == ["hidden", "False", "True"], done.stderr


def test_a_loaded_scikit_learn_stays():
    import sklearn

    with without_sklearn():
        assert sys.modules["sklearn"] is sklearn
    assert sys.modules["sklearn"] is sklearn
