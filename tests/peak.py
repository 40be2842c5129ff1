"""Run a command and read its own peak resident memory, whatever the size of the process starting it.

On Linux a child's ``ru_maxrss`` does not start from zero: ``fork`` copies the parent's resident
set into the child's high-water mark, and ``exec`` keeps it. A test suite that has grown to 900 MB
therefore sees every command it waits for peak at 900 MB at least, whatever the command used. The
cure is a small go-between: this file, run as a script, forks the command from a fresh interpreter
of about 10 MB, waits for it and writes the command's own figures to a report file; it exits as
the command did (the same code, or the same signal).

    python tests/peak.py REPORT COMMAND [ARG...]

:func:`popen` starts a command that way; :func:`read` gives the report once the go-between ended.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve()


def popen(cmd: list[str], report: Path, **kwargs) -> subprocess.Popen:
    """``subprocess.Popen(cmd, **kwargs)`` through the go-between, which writes ``report``."""
    return subprocess.Popen([sys.executable, str(HERE), str(report), *cmd], **kwargs)


def read(report: Path) -> dict:
    """The command's ``peak_mb`` (resident, with the children it waited for), ``cpu_s`` and ``status``."""
    return json.loads(report.read_text(encoding="utf-8"))


def main(argv: list[str]) -> int:
    report, cmd = Path(argv[0]), argv[1:]
    pid = os.fork()
    if pid == 0:
        try:
            os.execvp(cmd[0], cmd)
        finally:
            os._exit(127)
    # the go-between lives as long as the command: a signal meant for the group reaches both
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda s, _: os.kill(pid, s))
    while True:
        try:
            _, status, usage = os.wait4(pid, 0)
            break
        except InterruptedError:  # pragma: no cover - PEP 475 retries wait4 itself
            continue
    code = os.waitstatus_to_exitcode(status)
    report.write_text(json.dumps({"peak_mb": usage.ru_maxrss // 1024, "cpu_s": usage.ru_utime + usage.ru_stime,
                                  "status": code}), encoding="utf-8")
    if code < 0:  # died of a signal: die of the same one, so the caller sees what happened
        if -code not in (signal.SIGKILL, signal.SIGSTOP):  # these two can have no handler to reset
            signal.signal(-code, signal.SIG_DFL)
        os.kill(os.getpid(), -code)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
