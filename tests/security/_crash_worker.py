"""Helper process for test_crash_safety (not a test module).

``python _crash_worker.py serve``: import acctdesk once, then read commands from stdin:
``import WS CSV PROGRESS [KEYHEX]`` forks a child that imports CSV into WS (writing its phases
with timestamps to PROGRESS) and prints the child's pid; ``wait PID`` reaps it and prints how
it ended. Forking from a warm process lets the test kill imports at many points quickly.

``undo WS BATCH PROGRESS``, ``encrypt WS PASSPHRASE_FILE PROGRESS`` and ``pack WS PACK PROGRESS``
fork a child that undoes a batch, encrypts the workspace or imports an edited priority pack.

``python _crash_worker.py import WS CSV PROGRESS [KEYHEX]``: one import in a fresh process.
"""
from __future__ import annotations

import os
import sys
import time


def run_import(ws_path: str, csv_path: str, progress_path: str, key_hex: str | None) -> None:
    from acctdesk.importers.pipeline import import_file
    from acctdesk.models import Workspace

    with open(progress_path, "w", buffering=1) as log:
        log.write(f"start {time.monotonic()}\n")
        ws = Workspace(ws_path, key=bytes.fromhex(key_hex) if key_hex else None)

        def progress(fraction, message):
            phase = "writing" if message.startswith("Writing") else "reading"
            log.write(f"{phase} {time.monotonic()}\n")

        result = import_file(ws, csv_path, progress=progress)
        log.write(f"done {time.monotonic()} {result.inserted} {result.error}\n")
        ws.close()


def run_op(op: str, ws_path: str, arg: str, progress_path: str) -> None:
    """One more operation to kill: ``undo`` (arg: batch id), ``encrypt`` (arg: passphrase
    file) or ``pack`` (arg: an edited priority pack to import)."""
    from acctdesk.models import Workspace

    with open(progress_path, "w", buffering=1) as log:
        log.write(f"start {time.monotonic()}\n")
        if op == "undo":
            from acctdesk.models.batch_undo import undo_batch

            ws = Workspace(ws_path)
            log.write(f"working {time.monotonic()}\n")
            counts = undo_batch(ws, int(arg), force=True)
            ws.close()
            log.write(f"done {time.monotonic()} {counts['usage_deleted']}\n")
        elif op == "encrypt":
            from acctdesk.models import crypto

            phrase = crypto.read_passphrase_file(arg)
            log.write(f"working {time.monotonic()}\n")
            crypto.encrypt_workspace(ws_path, passphrase=phrase, key_store="passphrase")
            log.write(f"done {time.monotonic()}\n")
        elif op == "pack":
            from acctdesk.importers.pipeline import import_file

            ws = Workspace(ws_path)
            log.write(f"working {time.monotonic()}\n")
            result = import_file(ws, arg)
            ws.close()
            log.write(f"done {time.monotonic()} {result.updated} {result.error}\n")


def serve() -> None:
    import acctdesk.importers.pipeline  # noqa: F401  (warm: pandas, pyarrow, acctdesk)
    import acctdesk.models.batch_undo  # noqa: F401
    import acctdesk.importers.pack_roundtrip  # noqa: F401
    import acctdesk.models  # noqa: F401
    import acctdesk.models.crypto  # noqa: F401

    print("ready", flush=True)
    for line in sys.stdin:
        cmd, *args = line.split()
        if cmd == "import":
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    run_import(*args) if len(args) == 4 else run_import(*args, None)
                except BaseException as exc:  # report, never return into the server loop
                    print(f"child error: {exc!r}", file=sys.stderr, flush=True)
                    code = 3
                os._exit(code)
            print(pid, flush=True)
        elif cmd in ("undo", "encrypt", "pack"):
            pid = os.fork()
            if pid == 0:
                code = 0
                try:
                    run_op(cmd, *args)
                except BaseException as exc:  # report, never return into the server loop
                    print(f"child error: {exc!r}", file=sys.stderr, flush=True)
                    code = 3
                os._exit(code)
            print(pid, flush=True)
        elif cmd == "wait":
            _, status = os.waitpid(int(args[0]), 0)
            if os.WIFSIGNALED(status):
                print(f"signal {os.WTERMSIG(status)}", flush=True)
            else:
                print(f"exit {os.WEXITSTATUS(status)}", flush=True)
        elif cmd == "quit":
            return


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve()
    else:
        args = sys.argv[2:]
        run_import(*args) if len(args) == 4 else run_import(*args, None)
