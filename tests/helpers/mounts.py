"""Real file-system faults for tests: a small tmpfs mounted in a private mount namespace of a
child shell (``unshare -m`` as root, ``unshare -rm`` in an unprivileged user namespace
otherwise). The mount vanishes with the child, so a failed test leaves nothing mounted."""

from __future__ import annotations

import os
import subprocess


def namespace_prefix() -> list[str] | None:
    """A command prefix that runs a command in a private mount namespace where it may mount a
    tmpfs, or None where neither kind of namespace is allowed."""
    prefixes = [["unshare", "-m", "--propagation", "private"]] if os.geteuid() == 0 else []
    prefixes.append(["unshare", "-rm", "--propagation", "private"])
    for prefix in prefixes:
        try:
            probe = subprocess.run([*prefix, "sh", "-c", "mount -t tmpfs -o size=64k none /mnt"],
                                   capture_output=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired):
            continue
        if probe.returncode == 0:
            return prefix
    return None


NAMESPACE = namespace_prefix()
SKIP_REASON = ("needs a private mount namespace to mount a tmpfs (root, or unprivileged user "
               "namespaces)")
