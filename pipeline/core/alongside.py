"""alongside: a command started now and waited for later, beside the work of the process that started it.

``make predict`` starts the front half's sub-make this way before predict
imports its model's modules (MLflow, torch: seconds), so that the front half
has the other core for the whole of the model's load.
"""

from __future__ import annotations

import shlex
import subprocess


class CommandAlongside:
    """A command (split like a shell line, without expansion) started at construction."""

    def __init__(self, command: str) -> None:
        self.command = command
        self._child = subprocess.Popen(shlex.split(command))

    def wait(self, check: bool = True) -> None:
        """Wait until the command has ended (at once if it has); with `check`, a non-zero exit is an error."""
        if self._child.wait() != 0 and check:
            raise RuntimeError(f"the command run alongside failed (exit {self._child.returncode}): {self.command}")
