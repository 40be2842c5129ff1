"""The peak memory the hostile cases and the scale benchmark read is the command's own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from tests import peak

GROW = "b = bytearray({mb} << 20)\nfor i in range(0, len(b), 4096): b[i] = 1"


def test_a_large_parent_does_not_count_in_its_childs_peak(tmp_path):
    held = bytearray(600 << 20)
    for i in range(0, len(held), 4096):  # resident, not only reserved
        held[i] = 1
    # the trap: read directly, a child that does nothing peaks at this process's size
    plain = subprocess.Popen([sys.executable, "-c", "pass"])
    _, _, usage = os.wait4(plain.pid, 0)
    assert usage.ru_maxrss // 1024 >= 600
    report = tmp_path / "peak.json"
    assert peak.popen([sys.executable, "-c", "pass"], report).wait() == 0
    assert peak.read(report)["peak_mb"] < 60
    del held


def test_the_commands_own_growth_its_status_and_its_signal_are_kept(tmp_path):
    report = tmp_path / "peak.json"
    code = peak.popen([sys.executable, "-c", GROW.format(mb=200) + "\nraise SystemExit(3)"], report).wait()
    measured = peak.read(report)
    assert code == 3 and measured["status"] == 3
    assert 200 <= measured["peak_mb"] < 260
    killed = peak.popen([sys.executable, "-c", "import os, signal; os.kill(os.getpid(), signal.SIGKILL)"], report)
    assert killed.wait() == -signal.SIGKILL
    assert peak.read(report)["status"] == -signal.SIGKILL
