"""A realistic JSON Lines evacuation plan: what an orchestrator writes for a fleet (fixed seed).

Mostly valid migrations with the usual mistakes mixed in: qemu (70 %), vz (20 %) and libxl (10 %) hosts,
running, shut-off and paused domains, both libvirt versions miglint knows, common flag sets per
hypervisor, and typed parameters (bandwidth, parallel connections, a migration URI per destination).
"""

from __future__ import annotations

import json
import random
import sys

RUNNING = {
    "qemu": [(["LIVE", "PEER2PEER", "PERSIST_DEST", "UNDEFINE_SOURCE"], 30), (["LIVE", "PEER2PEER"], 20),
             (["LIVE", "PEER2PEER", "TLS", "PERSIST_DEST", "UNDEFINE_SOURCE"], 15),
             (["LIVE", "PEER2PEER", "AUTO_CONVERGE"], 8), (["LIVE", "PEER2PEER", "NON_SHARED_DISK"], 6),
             (["LIVE", "PEER2PEER", "POSTCOPY"], 5), (["LIVE", "PEER2PEER", "PARALLEL"], 5), (["LIVE", "TUNNELLED"], 3),
             (["PEER2PEER", "POSTCOPY"], 2), (["LIVE", "PEER2PEER", "TUNNELLED", "POSTCOPY"], 2),
             (["LIVE", "PEER2PEER", "ZEROCOPY"], 2), (["LIVE"], 2)],
    "vz": [(["PEER2PEER"], 50), (["LIVE", "PEER2PEER", "PERSIST_DEST"], 30), (["PEER2PEER", "COMPRESSED"], 10),
           (["LIVE", "PEER2PEER", "PAUSED"], 10)],
    "libxl": [(["LIVE", "PEER2PEER"], 70), (["LIVE"], 20), (["LIVE", "PEER2PEER", "COMPRESSED"], 10)],
}
SHUTOFF = {"qemu": [(["OFFLINE", "PERSIST_DEST", "PEER2PEER"], 85), (["OFFLINE", "PEER2PEER"], 15)],
           "vz": [(["PEER2PEER"], 80), (["OFFLINE", "PEER2PEER"], 20)],
           "libxl": [(["LIVE", "PEER2PEER"], 100)]}


def entries(n: int, seed: int = 20261126):
    rng = random.Random(seed)

    def pick(options):
        return rng.choices([o for o, _ in options], [w for _, w in options])[0]
    for i in range(n):
        hv = rng.choices(["qemu", "vz", "libxl"], [70, 20, 10])[0]
        state = rng.choices(["running", "shutoff", "paused"], [85, 12, 3])[0]
        flags = pick(SHUTOFF[hv] if state == "shutoff" else RUNNING[hv])
        e = {"id": f"vm-{i:07d}", "hypervisor": hv, "state": state,
             "libvirt_version": rng.choices(["9.0.0", "11.3.0"], [60, 40])[0], "flags": flags}
        r = rng.random()
        if "PARALLEL" in flags:
            e["params"] = {"parallel.connections": rng.choice([2, 4, 8])}
        elif r < 0.25:
            e["params"] = {"bandwidth": rng.choice([100, 500, 1000])}
        elif r < 0.28 and hv == "qemu":
            e["params"] = {"migrate_uri": "tcp://dst-%d.example.net" % rng.randrange(4)}
        yield e


def write(path: str, n: int) -> None:
    with open(path, "w", encoding="utf-8") as out:
        for e in entries(n):
            out.write(json.dumps(e) + "\n")


if __name__ == "__main__":
    write(sys.argv[2], int(sys.argv[1]))
