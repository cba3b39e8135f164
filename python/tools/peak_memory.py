"""Peak memory (ru_maxrss) of Model.hidden_states against the size of the
.npy file `aniso hidden` writes for the same input.

    python tools/peak_memory.py [MODEL] [--cli build/aniso]

MODEL defaults to gemma-3-270m on the notebook's 16 prompts. Each
measurement runs in a fresh process, so that every peak is its own.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

CHILD = r"""
import json, resource, sys
def rss(): return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
r = {"start": rss()}
import numpy, aniso
r["imported"] = rss()
m = aniso.Model(sys.argv[1])
r["opened"] = rss()
if sys.argv[2] == "hidden":
    H, tokens = m.hidden_states()
    r["array_bytes"] = H.nbytes
    r["shape"] = list(H.shape)
r["peak"] = rss()
print(json.dumps(r))
"""


def child(model, what):
    out = subprocess.run([sys.executable, "-c", CHILD, model, what], check=True, capture_output=True, text=True)
    return json.loads(out.stdout)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model", nargs="?", default="gemma-3-270m")
    ap.add_argument("--cli", default=os.environ.get("ANISO_CLI", "build/aniso"))
    a = ap.parse_args()
    mib = 1 << 20
    base = child(a.model, "open")
    hid = child(a.model, "hidden")
    with tempfile.TemporaryDirectory() as tmp:
        npy = os.path.join(tmp, "states.npy")
        subprocess.run([a.cli, "hidden", "--quiet", "--out", npy, a.model], check=True, capture_output=True)
        npy_bytes = os.path.getsize(npy)
        # the CLI's own peak (wait4: this child's rusage alone)
        proc = subprocess.Popen([a.cli, "hidden", "--quiet", "--out", npy, a.model],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        _, status, ru = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        if proc.returncode:
            raise SystemExit(f"{a.cli} hidden: exit {proc.returncode}")
        cli_peak = ru.ru_maxrss * 1024
    print(f"model {a.model}, hidden states {hid['shape']} float32")
    print(f"  .npy written by aniso hidden     {npy_bytes / mib:8.1f} MiB ({npy_bytes} bytes)")
    print(f"  the returned array               {hid['array_bytes'] / mib:8.1f} MiB")
    print(f"  python + numpy + aniso imported  {hid['imported'] / mib:8.1f} MiB peak RSS")
    print(f"  ... + Model opened               {base['peak'] / mib:8.1f} MiB peak RSS")
    print(f"  ... + hidden_states()            {hid['peak'] / mib:8.1f} MiB peak RSS")
    print(f"  hidden_states() above the opened model: {(hid['peak'] - base['peak']) / mib:.1f} MiB "
          f"({(hid['peak'] - base['peak']) / npy_bytes:.2f} x the .npy)")
    print(f"  aniso hidden (CLI) peak RSS      {cli_peak / mib:8.1f} MiB")


if __name__ == "__main__":
    main()
