"""``python -m entrypoints`` and the ``tickets`` command: the CLI, imported only when it runs.

A process spawned by ``multiprocessing`` (an email render process) imports its parent's main
module before anything else, and ``entrypoints.cli`` imports the whole service (the audit,
Stripe, Litestar...): a render process would start slower and take more memory with it.
"""

from __future__ import annotations

import sys


def main() -> int:
    from entrypoints.cli import main as run

    return run()


if __name__ == "__main__":
    sys.exit(main())
