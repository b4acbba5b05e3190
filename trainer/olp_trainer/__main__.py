"""Entry point: `python3 -m olp_trainer <command>` (see cli.py)."""

import sys

from .cli import main

sys.exit(main())
