"""`make prod-check`: start the stack, run the checks, stop everything; exit 1 on any miss.

python -m deploy.prodcheck [--instances host|podman|compose] [--keep] [--no-checks]
"""

import argparse
import signal
import sys
import time

from .stack import Stack


def parse(argv):
    parser = argparse.ArgumentParser(prog="python -m deploy.prodcheck", description=__doc__)
    parser.add_argument(
        "--instances", choices=["host", "podman", "compose"], default="host",
        help="app instances as gunicorn on this machine (host), as containers of the "
        "repository's image (podman), or as compose.yaml's services (compose)",
    )  # fmt: skip
    parser.add_argument(
        "--keep", action="store_true",
        help="leave the stack running afterwards and print its addresses and a stop command",
    )  # fmt: skip
    parser.add_argument("--no-checks", action="store_true", help="only start the stack")
    return parser.parse_args(argv)


def report(number, name, ok, detail, seconds):
    word = "ok  " if ok else "FAIL"
    print(f"{word} {number:<3} {name}: {detail} ({seconds:.1f} s)", flush=True)


def _terminate(signum, frame):
    # SIGTERM (CI's timeout, `kill`) cleans up like Ctrl+C does.
    raise KeyboardInterrupt


def main(argv=None):
    args = parse(argv)
    signal.signal(signal.SIGTERM, _terminate)
    began = time.monotonic()
    passed = True
    try:
        with Stack(args.instances, log=lambda line: print(line, flush=True)) as stack:
            print(f"     stack up in {time.monotonic() - began:.1f} s: {stack.url}", flush=True)
            if not args.no_checks:
                from .checks import run_checks

                passed = run_checks(stack, report)
            if args.keep:
                print_kept(stack, stack.leave_running())
    except KeyboardInterrupt:
        print("FAIL interrupted; everything started was stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # noqa: BLE001 (said in one line; everything was stopped)
        print(f"FAIL the stack: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    verdict = "all checks passed" if passed else "some checks FAILED"
    print(f"     {verdict} in {time.monotonic() - began:.1f} s; everything stopped"
          if not args.keep else f"     {verdict}")  # fmt: skip
    return 0 if passed else 1


def print_kept(stack, stop_script):
    ports = stack.ports
    print(f"""
The stack is left running (--keep):
  https (nginx, both instances)  {stack.url}/
  http (redirects)               http://localhost:{ports.http}/
  through instance a only        {stack.pinned_url("a")}/
  through instance b only        {stack.pinned_url("b")}/
  instances directly             http://127.0.0.1:{ports.instance_a}/  http://127.0.0.1:{ports.instance_b}/
  PostgreSQL                     {stack.postgres.url}
  Redis                          redis://127.0.0.1:{ports.redis}/0
  logs                           {stack.scratch}
Stop it with: sh {stop_script}""")


if __name__ == "__main__":
    sys.exit(main())
