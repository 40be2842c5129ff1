"""A throw-away PostgreSQL server for the tests: Debian's ``postgresql`` package, a cluster in a
temporary folder, listening on 127.0.0.1 at a free port and on a socket in that folder, stopped
and removed at the end. ``initdb`` refuses to run as root: as root the server runs as the
``postgres`` user the package creates."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path

USER = "ruche"


def binaries() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self) -> None:
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL is not installed: apt-get install -y postgresql")
        self.folder = Path(tempfile.mkdtemp(prefix="ruche-pg-"))
        self.port = _free_port()
        self.runas = []
        if os.geteuid() == 0:
            account = pwd.getpwnam("postgres")
            os.chown(self.folder, account.pw_uid, account.pw_gid)
            self.runas = ["runuser", "-u", "postgres", "--"]
        self.databases = 0

    def _run(self, *command: str) -> None:
        subprocess.run(self.runas + [str(self.bin / command[0]), *command[1:]], check=True, capture_output=True,
                       text=True, timeout=120)

    def start(self) -> Server:
        data = self.folder / "data"
        self._run("initdb", "-D", str(data), "-A", "trust", "-U", USER, "-E", "UTF8", "--no-sync")
        self._run("pg_ctl", "-D", str(data), "-l", str(self.folder / "log"), "-w", "-o",
                  f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start")
        return self

    def new_database(self) -> str:
        """A new empty database; its libpq connection string."""
        self.databases += 1
        name = f"lake{self.databases}"
        self._run("createdb", "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name)
        return f"host=127.0.0.1 port={self.port} user={USER} dbname={name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)
