"""Bounded HTTP load for benchmarks: wrk when installed, else a Python client with fixed counts."""
from __future__ import annotations

import http.client
import json
import shutil
import statistics
import subprocess
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlparse

__all__ = ["drive"]

WRK_SCRIPT = r"""
local paths = {}
local i = 0
init = function(args)
  for line in io.lines(args[1]) do paths[#paths + 1] = line end
  i = math.random(#paths)
end
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('WRKJSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, '
    .. '"errors": %d, "non2xx": %d}\n', summary.requests, summary.duration, latency:percentile(50),
    latency:percentile(99), e.connect + e.read + e.write + e.timeout, e.status))
end
"""


def drive(base: str, paths: list[str], *, connections: int, seconds: float) -> dict:
    """Send GET ``paths`` round-robin over ``connections`` for about ``seconds``; return figures."""
    if shutil.which("wrk"):
        return _wrk(base, paths, connections, seconds)
    return _python(base, paths, connections, max(50, int(seconds * 200 / max(connections, 1))))


def _wrk(base, paths, connections, seconds) -> dict:
    folder = Path(tempfile.mkdtemp(prefix="sanigrid-wrk-"))
    (folder / "paths.txt").write_text("\n".join(paths) + "\n")
    (folder / "script.lua").write_text(WRK_SCRIPT)
    threads = min(2, connections)
    out = subprocess.run(["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--timeout", "10s",
                          "-s", str(folder / "script.lua"), base, "--", str(folder / "paths.txt")],
                         capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if l.startswith("WRKJSON "))
    raw = json.loads(line[len("WRKJSON "):])
    return {"client": "wrk", "connections": connections, "requests": raw["requests"],
            "rps": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
            "p50_ms": round(raw["p50_us"] / 1000, 2), "p99_ms": round(raw["p99_us"] / 1000, 2),
            "errors": raw["errors"] + raw["non2xx"]}


def _python(base, paths, connections, per_connection) -> dict:
    url = urlparse(base)
    latencies, errors, lock = [], [0], threading.Lock()

    def worker(offset):
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        mine = []
        for k in range(per_connection):
            start = time.perf_counter()
            conn.request("GET", paths[(offset + k) % len(paths)])
            resp = conn.getresponse()
            resp.read()
            mine.append(time.perf_counter() - start)
            if resp.status != 200:
                errors[0] += 1
        conn.close()
        with lock:
            latencies.extend(mine)

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(i * 97,)) for i in range(connections)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100)
    return {"client": "python", "connections": connections, "requests": len(latencies),
            "rps": round(len(latencies) / elapsed, 1), "p50_ms": round(cuts[49] * 1000, 2),
            "p99_ms": round(cuts[98] * 1000, 2), "errors": errors[0]}
