"""``python -m gradtui``: the same as the ``gradtui`` command."""

import sys

from gradtui.tui.cli.main import main

sys.exit(main())
