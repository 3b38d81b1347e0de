"""`make prod-check`: start the stack, run the checks, stop everything; exit 1 on any miss.

python -m deploy.prodcheck [--instances host|podman|compose] [--keep] [--no-checks]
"""

import argparse
import shutil
import signal
import sys
import time
from pathlib import Path

from .stack import Stack, interrupted


def parse(argv):
    parser = argparse.ArgumentParser(
        prog="python -m deploy.prodcheck",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--instances", choices=["host", "podman", "compose"], default=default_instances(),
        help="app instances as gunicorn on this machine (host), as containers of the "
        "repository's image (podman), or as compose.yaml's services (compose); default: "
        "%(default)s",
    )  # fmt: skip
    parser.add_argument(
        "--keep", action="store_true",
        help="leave the stack running afterwards and print its addresses and a stop command",
    )  # fmt: skip
    parser.add_argument("--no-checks", action="store_true", help="only start the stack")
    return parser.parse_args(argv)


def default_instances():
    """What the city deploys, when this machine can run it: compose.yaml's services (the image,
    run by podman-compose from the dev extra) when podman is installed; gunicorn on this
    machine otherwise (a developer's machine without podman)."""
    here = Path(__file__).resolve().parent
    has_image = (here / "compose.py").exists() and (here.parents[1] / "compose.yaml").exists()
    if not (has_image and shutil.which("podman")):
        return "host"
    return (
        "compose"
        if shutil.which("podman-compose", path=str(Path(sys.executable).parent))
        else "podman"
    )


def report(number, name, ok, detail, seconds):
    word = "ok  " if ok else "FAIL"
    print(f"{word} {number:<3} {name}: {detail} ({seconds:.1f} s)", flush=True)


def _interrupt(signum, frame):
    # Ctrl+C and SIGTERM (CI's timeout, `kill`) alike: stop, then clean up.
    interrupted.set()
    raise KeyboardInterrupt


# What each part needs from Debian, checked before anything starts: a missing tool would
# otherwise show only after PostgreSQL, Redis and the instances were up.
NEEDED = {
    "nginx": "nginx",
    "redis-server": "redis-server",
    "openssl": "openssl",
    "/usr/bin/chromium": "chromium",
}
NEEDED_FOR_CONTAINERS = {"podman": "podman", "runc": "runc", "debootstrap": "debootstrap"}


def missing_tools(instances):
    needed = dict(NEEDED)
    if instances in ("podman", "compose"):
        needed.update(NEEDED_FOR_CONTAINERS)
    missing = sorted({package for tool, package in needed.items() if not shutil.which(tool)})
    if not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")):
        missing.append("postgresql")
    return missing


def main(argv=None):
    args = parse(argv)
    missing = missing_tools(args.instances)
    if missing:
        print(
            f"FAIL missing on this machine: {', '.join(missing)} "
            f"(as root: apt-get install {' '.join(missing)}; .ci/run installs them)",
            file=sys.stderr,
        )
        return 1
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
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
    if args.no_checks:
        verdict = "no checks run (--no-checks)"
    else:
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
  Redis (its password in CACHE_URL) redis://127.0.0.1:{ports.redis}/0
  logs                           {stack.scratch}
Stop it with: sh {stop_script}""")


if __name__ == "__main__":
    sys.exit(main())
