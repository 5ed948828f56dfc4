"""``python -m xport``: the ``xport`` command line."""

import sys

from .cli import main

sys.exit(main())
