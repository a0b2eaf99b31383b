"""Why `kaze-policy serve` runs on uvicorn: the same application under uvicorn and granian.

Run: `python tests/benchmarks/webhook_server_choice.py` (granian is not a dependency:
`pip install granian` first). Both serve the very application `serve` builds (snapshot
context, the fixtures' configuration), over TLS, one process; vegeta drives both the same
way as bench_webhook.py. The figures are in docs/webhook.md.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
from tests.benchmarks.bench_webhook import NAMESPACE, _line, attack, reviews  # noqa: E402
from tests.cluster.apiserver import free_port  # noqa: E402
from tests.webhook.support import empty_snapshot, running_webhook, stop, write_pki  # noqa: E402

RATES = (500, 750, 1000)


def app():  # granian's factory: the application `serve` builds
    from kaze_policy.catalog import DEFAULT_POLICY_DIR
    from kaze_policy.webhook.serve import Listen, ServeOptions, build
    options = ServeOptions(listen=Listen("127.0.0.1", 0, Path(os.environ["KAZE_CERT"]), Path(os.environ["KAZE_KEY"])),
                           policies=DEFAULT_POLICY_DIR, config=ROOT / "fixtures" / "kaze-policy.yaml",
                           snapshot=Path(os.environ["KAZE_SNAPSHOT"]), workers=2)
    return build(options, open(os.devnull, "w"))


def _targets(folder: Path, url: str) -> Path:
    targets = folder / "targets.jsonl"
    targets.write_text("".join(json.dumps({
        "method": "POST", "url": f"{url}/validate", "header": {"Content-Type": ["application/json"]},
        "body": base64.b64encode(json.dumps(body).encode()).decode()}) + "\n" for body in reviews()))
    return targets


def _run(name: str, url: str, ca: Path, folder: Path, pid: int) -> None:
    targets = _targets(folder, url)
    attack(url, ca, targets, 200, 3, pid)  # warm up
    for rate in RATES:
        print(f"{name:8}", _line(attack(url, ca, targets, rate, 15, pid)), flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="kaze-server-choice-") as tmp:
        folder = Path(tmp)
        snapshot = empty_snapshot(folder / "snapshot.json", [NAMESPACE])
        with running_webhook(folder / "uvicorn", "--snapshot", str(snapshot), "--config",
                             str(ROOT / "fixtures" / "kaze-policy.yaml"), "--workers", "2") as server:
            _run("uvicorn", server.url, server.pki.ca, folder, server.process.pid)
        pki = write_pki(folder / "granian")
        port = free_port()
        env = {**os.environ, "KAZE_CERT": str(pki.cert), "KAZE_KEY": str(pki.key), "KAZE_SNAPSHOT": str(snapshot),
               "PYTHONPATH": str(ROOT)}
        granian = shutil.which("granian", path=str(Path(sys.executable).parent)) or "granian"
        process = subprocess.Popen([granian, "--interface", "asgi", "--factory", "--host", "127.0.0.1", "--port",
                                    str(port), "--ssl-certificate", str(pki.cert), "--ssl-keyfile", str(pki.key),
                                    "--ssl-protocol-min", "tls1.2", "--no-ws", "--log-level", "warning",
                                    "tests.benchmarks.webhook_server_choice:app"], env=env, cwd=ROOT)
        try:
            time.sleep(4)
            _run("granian", f"https://127.0.0.1:{port}", pki.ca, folder, process.pid)
        finally:
            stop(process)


if __name__ == "__main__":
    main()
