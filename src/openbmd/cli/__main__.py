"""``python -m openbmd.cli``: the same as ``openbmd``."""

import sys

from . import main

sys.exit(main())
