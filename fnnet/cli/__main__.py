"""``python -m fnnet.cli``: the same as the ``fnnet`` command."""

import sys

from fnnet.cli.main import main

sys.exit(main())
