"""`python -m gate`: the metric gate's command line (gate.cli)."""

import sys

from gate.cli import main

sys.exit(main())
