"""How any command ends: a result code, or one line on stderr and exit code 2; never a traceback unless asked.

Shared by the typer commands and the fast path for `check` (which runs without importing typer)."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable

from ..errors import UserError


def run_guarded(fn: Callable[[], int], debug: bool = False) -> int:
    try:
        return fn()
    except UserError as e:
        if debug:
            raise
        from ..outputs.safe import printable

        sys.stderr.write(f"miglint: error: {printable(str(e))}\n")
        return 2
    except KeyboardInterrupt:
        sys.stderr.write("miglint: interrupted\n")
        return 2
    except BrokenPipeError:
        # The reader went away (`miglint ... | head`): stop quietly, as other command-line tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as e:  # a bug, not the user's fault: still one line
        if debug:
            raise
        sys.stderr.write(f"miglint: internal error: {type(e).__name__}: {e} (run with --debug for details)\n")
        return 2
