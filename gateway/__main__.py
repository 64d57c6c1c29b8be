"""``python -m gateway`` is the ``edi-gateway`` command."""

import sys

from .cli import main

sys.exit(main())
