"""Drive wrk with a Lua script that varies the URL, and read what it prints."""

from __future__ import annotations

import re
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

WRK = "wrk"
_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}
_PERCENTILE = re.compile(r"^\s*(\d+(?:\.\d+)?)%\s+(\d+(?:\.\d+)?)(us|ms|s|m|h)\s*$", re.MULTILINE)
_RATE = re.compile(r"^Requests/sec:\s+(\d+(?:\.\d+)?)", re.MULTILINE)
_TOTAL = re.compile(r"^\s*(\d+) requests in ", re.MULTILINE)
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_SOCKET = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")

# Each wrk thread has its own Lua state; seeding by thread number keeps the threads apart.
_SCRIPT = """\
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end
function init(args)
  math.randomseed(thread_id * 7919)
end
{prelude}
request = function()
  return wrk.format("GET", {path})
end
"""


@dataclass(frozen=True)
class WrkResult:
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int

    @property
    def errors(self) -> int:
        return self.non_2xx + self.socket_errors


def lua_script(path: str, prelude: str = "") -> str:
    """A wrk script whose every request GETs the Lua expression `path` (evaluated each time)."""
    return _SCRIPT.format(prelude=prelude, path=path)


def parse(output: str) -> WrkResult:
    """Read wrk's `--latency` report; latencies come as us, ms, s (or m, h) and end up in ms."""
    percentiles = {
        float(p): float(value) * _UNIT_MS[unit] for p, value, unit in _PERCENTILE.findall(output)
    }
    rate, total = _RATE.search(output), _TOTAL.search(output)
    if rate is None or total is None or 50.0 not in percentiles or 99.0 not in percentiles:
        raise ValueError(f"wrk printed no complete --latency report:\n{output}")
    non_2xx = _NON_2XX.search(output)
    socket = _SOCKET.search(output)
    if int(total.group(1)) == 0:
        raise ValueError(f"no request completed ({socket.group(0) if socket else 'no errors'})")
    return WrkResult(
        requests=int(total.group(1)),
        requests_per_s=float(rate.group(1)),
        p50_ms=percentiles[50.0],
        p99_ms=percentiles[99.0],
        non_2xx=int(non_2xx.group(1)) if non_2xx else 0,
        socket_errors=sum(int(n) for n in socket.groups()) if socket else 0,
    )


def run(url: str, script: str, *, duration: float, connections: int, threads: int) -> WrkResult:
    """Load `url` (its path is replaced by the script's) for `duration` seconds."""
    with tempfile.TemporaryDirectory(prefix="bench-") as folder:
        script_path = Path(folder) / "request.lua"
        script_path.write_text(script)
        command = [
            WRK, f"--threads={threads}", f"--connections={connections}",
            f"--duration={duration:g}s", "--timeout=5s", "--latency",
            f"--script={script_path}", url,
        ]  # fmt: skip
        done = subprocess.run(
            command, capture_output=True, text=True, timeout=duration + 60, check=False
        )
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr or done.stdout}")
    return parse(done.stdout)
