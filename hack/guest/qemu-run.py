#!/usr/bin/env python3
"""Boot a QEMU command RUNS times, one at a time, and time each boot.

    qemu-run.py --marker TEXT [--runs N] [--timeout S] [--log FILE] [--stop-at-marker] -- qemu ...

The guest's serial console must be QEMU's stdout. For every run this prints
the seconds from launch to the first line containing TEXT and to QEMU's exit
(the guest powers off), then the median over the runs. QEMU is killed (by its
own pid, nothing else) when a run exceeds the timeout, or once the marker is
seen with --stop-at-marker (for a guest that does not power off, such as the
real agent). With --log, the console output of the last run is written to
FILE. Exits 1 if any run did not print the marker or, without
--stop-at-marker, did not exit by itself.
"""
import argparse
import os
import select
import statistics
import subprocess
import sys
import time


def boot(cmd, marker, timeout, stop_at_marker):
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT)
    out = bytearray()
    at_marker = at_exit = None
    try:
        fd = proc.stdout.fileno()
        while time.monotonic() - t0 < timeout:
            ready, _, _ = select.select([fd], [], [], 0.05)
            if not ready:
                continue
            data = os.read(fd, 65536)
            if not data:
                break
            out += data
            if at_marker is None and marker in out:
                at_marker = time.monotonic() - t0
                if stop_at_marker:
                    time.sleep(0.2)  # the rest of the marker line
                    break
        if stop_at_marker:
            if select.select([fd], [], [], 0)[0]:
                out += os.read(fd, 65536)
            return at_marker, None, bytes(out)
        try:
            proc.wait(timeout=max(0.0, timeout - (time.monotonic() - t0)) + 1)
            at_exit = time.monotonic() - t0
        except subprocess.TimeoutExpired:
            pass
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
    return at_marker, at_exit, bytes(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--marker", required=True)
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--log")
    ap.add_argument("--stop-at-marker", action="store_true")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd[:1] == ["--"] else a.cmd
    marker = a.marker.encode()
    times, ok = [], True
    for i in range(a.runs):
        at_marker, at_exit, out = boot(cmd, marker, a.timeout, a.stop_at_marker)
        if a.log:
            with open(a.log, "wb") as f:
                f.write(out)
        fmt = lambda t: "-" if t is None else f"{t:.3f} s"
        line = next((l for l in out.decode(errors="replace").splitlines() if a.marker in l), "")
        print(f"  run {i + 1}: marker {fmt(at_marker)}, qemu exit {fmt(at_exit)}  {line.strip()}",
              flush=True)
        if at_marker is None or (at_exit is None and not a.stop_at_marker):
            ok = False
            sys.stdout.write(out[-3000:].decode(errors="replace") + "\n")
            break
        times.append(at_marker)
    if times:
        print(f"  median to marker over {len(times)} runs: {statistics.median(times):.3f} s "
              f"(min {min(times):.3f}, max {max(times):.3f})")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
