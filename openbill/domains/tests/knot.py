"""Two real Knot DNS servers for the delegation tests, on one free port at two loopback
addresses: the parent zone ``test.`` on 127.0.0.2 and the child zone ``alice.test.`` on
127.0.0.3."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from openbill.provisioning.tests.pebble import free_port

PARENT, CHILD = "127.0.0.2", "127.0.0.3"

PARENT_ZONE = f"""$ORIGIN test.
$TTL 60
@ SOA ns.test. admin.test. 1 60 60 600 60
@ NS ns.test.
ns A {PARENT}
; alice.test is delegated to the child server (with glue)
alice NS ns1.alice
alice NS ns2.alice
ns1.alice A {CHILD}
ns2.alice A {CHILD}
; lame.test is delegated to a server that does not serve it (the parent itself)
lame NS ns1.lame
ns1.lame A {PARENT}
; split.test: two servers, one of them down
split NS ns1.split
split NS ns2.split
ns1.split A {CHILD}
ns2.split A 127.0.0.9
"""

CHILD_ZONES = {
    "alice.test": f"$ORIGIN alice.test.\n$TTL 60\n@ SOA ns1 admin 2026120601 60 60 600 60\n@ NS ns1\n@ NS ns2\nns1 A {CHILD}\nns2 A {CHILD}\nwww A 192.0.2.80\n",
    "split.test": f"$ORIGIN split.test.\n$TTL 60\n@ SOA ns1 admin 7 60 60 600 60\n@ NS ns1\n@ NS ns2\nns1 A {CHILD}\nns2 A 127.0.0.9\n",
}


@dataclass
class Knot:
    port: int
    processes: list[subprocess.Popen[bytes]]

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()


def _start(folder: Path, address: str, port: int, zones: dict[str, str]) -> subprocess.Popen[bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    entries = ""
    for name, text in zones.items():
        (folder / f"{name}.zone").write_text(text)
        entries += f"  - domain: {name}\n    file: {name}.zone\n"
    (folder / "knot.conf").write_text(
        f"""server:
    listen: {address}@{port}
    rundir: {folder}
    pidfile: {folder}/knot.pid
control:
    listen: {folder}/knot.sock
database:
    storage: {folder}
template:
  - id: default
    storage: {folder}
zone:
{entries}"""
    )
    return subprocess.Popen(
        ["knotd", "-c", str(folder / "knot.conf")], stdout=(folder / "knot.log").open("wb"), stderr=subprocess.STDOUT
    )


def start(folder: Path) -> Knot:
    import dns.resolver

    port = free_port()
    parent = _start(folder / "parent", PARENT, port, {"test": PARENT_ZONE})
    child = _start(folder / "child", CHILD, port, CHILD_ZONES)
    knot = Knot(port, [parent, child])
    deadline = time.monotonic() + 15
    for address, name in ((PARENT, "ns.test"), (CHILD, "www.alice.test")):
        resolver = dns.resolver.Resolver(configure=False)
        resolver.nameservers = [address]
        resolver.port = port
        while True:
            try:
                resolver.resolve(name, "A", lifetime=1)
                break
            except Exception:
                if time.monotonic() > deadline or any(p.poll() is not None for p in knot.processes):
                    knot.stop()
                    logs = "".join((folder / d / "knot.log").read_text()[-1000:] for d in ("parent", "child"))
                    raise RuntimeError("knot did not start: " + logs) from None
                time.sleep(0.1)
    return knot
