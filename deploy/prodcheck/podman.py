"""The app instances of the production check as containers of the repository's image
(Containerfile), built and run with podman from Debian.

Packages this needs (for .ci/run): apt-get install -y podman runc debootstrap

What this machine needs, found by trying (Debian 12, podman 4.3):
- No registry is reachable, so Debian's image (the Containerfile's BASE_IMAGE) cannot be pulled.
  A stand-in is made with debootstrap from deb.debian.org, with this machine's extra CA
  certificates added (a proxy inspects HTTPS; pip in the build must trust it), and imported
  as a local image. It is kept between runs under a name that includes a hash of those
  certificates, so a second run does not make it again.
- crun, podman's default runtime, fails here ("cgroups in hybrid mode not supported"); runc
  works.
- podman's default ulimits are above this machine's hard limits ("setrlimit RLIMIT_NOFILE:
  Operation not permitted"); every build and run asks for lower ones.

An instance runs with --network host, so it reaches PostgreSQL, Redis and the SMTP server on
127.0.0.1 and listens on GUNICORN_BIND=127.0.0.1:PORT, and with --read-only: the image's files
stay as built, /tmp is a tmpfs. The runner uses it through start_instance(name, port, env), as
it uses an instance on the host.
"""

import glob
import hashlib
import http.client
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# One name per checkout: two checkouts on one machine (worktrees) that run the check at once
# must not start each other's image.
IMAGE = "localhost/handlingsplan:prodcheck-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
BASE_REPOSITORY = "localhost/handlingsplan-base"
SUITE = "bookworm"
MIRROR = "http://deb.debian.org/debian"
EXTRA_CA_GLOB = "/usr/local/share/ca-certificates/*.crt"

PODMAN = ["podman", "--runtime", "runc"]
ULIMITS = ["--ulimit", "nofile=20000:20000", "--ulimit", "nproc=4096:4096"]

# Variables of the calling process that describe the host, not the app: a container given the
# host's PATH or HOME would not find its own python.
HOST_ONLY = {
    "PATH", "HOME", "PWD", "OLDPWD", "SHELL", "USER", "LOGNAME", "SHLVL", "TERM", "HOSTNAME",
    "VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "TMPDIR", "_", "MAIL", "LANG", "LANGUAGE",
    "PIP_FIND_LINKS", "DJANGO_SETTINGS_MODULE",
}  # fmt: skip
HOST_ONLY_PREFIXES = ("LD_", "LC_", "SSH_", "XDG_", "PYTEST_", "VSCODE_")


def podman(*args, check=True, capture=True, timeout=None, env=None):
    return subprocess.run(
        [*PODMAN, *args], check=check, capture_output=capture, text=True, timeout=timeout,
        env=env,
    )  # fmt: skip


def _image_exists(name):
    return podman("image", "exists", name, check=False).returncode == 0


def _extra_cas():
    return sorted(glob.glob(EXTRA_CA_GLOB))


def base_image():
    """The stand-in for debian:bookworm-slim, made once: Debian's minimal system with Python
    and this machine's extra CA certificates."""
    digest = hashlib.sha256()
    for path in _extra_cas():
        digest.update(Path(path).read_bytes())
    name = f"{BASE_REPOSITORY}:{SUITE}-{digest.hexdigest()[:12]}"
    if _image_exists(name):
        return name
    root = tempfile.mkdtemp(prefix="hp-base-")
    try:
        made = subprocess.run(
            ["debootstrap", "--variant=minbase", "--include=python3,python3-venv,ca-certificates",
             SUITE, root, MIRROR],
            capture_output=True, text=True,
        )  # fmt: skip
        if made.returncode != 0:
            raise RuntimeError(f"debootstrap failed:\n{made.stdout[-3000:]}{made.stderr[-3000:]}")
        target = Path(root, "usr/local/share/ca-certificates")
        target.mkdir(parents=True, exist_ok=True)
        for path in _extra_cas():
            shutil.copy(path, target)
        subprocess.run(["chroot", root, "update-ca-certificates"], check=True, capture_output=True)
        # Package lists and caches are not part of Debian's slim image either.
        for leftover in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for entry in Path(root, leftover).glob("*"):
                if entry.is_file():
                    entry.unlink()
        tar = subprocess.Popen(["tar", "-C", root, "-c", "."], stdout=subprocess.PIPE)
        subprocess.run([*PODMAN, "import", "-", name], stdin=tar.stdout, check=True,
                       capture_output=True)  # fmt: skip
        if tar.wait() != 0:
            raise RuntimeError("tar of the base image failed")
    finally:
        shutil.rmtree(root, ignore_errors=True)
    return name


def build_image(tag=IMAGE):
    """Builds the repository's Containerfile FROM the local base; podman's layer cache makes a
    build after a change to the source only redo the source's layers. Returns the tag."""
    base = base_image()
    before = podman("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()
    result = podman(
        "build", "--format", "docker", *ULIMITS, "--network", "host",
        "--build-arg", f"BASE_IMAGE={base}", "-f", str(ROOT / "Containerfile"), "-t", tag,
        str(ROOT), check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise RuntimeError(f"podman build failed:\n{result.stdout[-4000:]}{result.stderr[-4000:]}")
    after = podman("image", "inspect", "--format", "{{.Id}}", tag, check=False).stdout.strip()
    if before and before != after:
        # The last build's image, now nameless: removed unless a container still uses it, so
        # repeated runs do not fill the disk. The layers that later builds reuse stay.
        podman("rmi", before, check=False)
    return tag


def container_env(env):
    """What of env goes into the container: all but the variables that describe the calling
    process on the host (the runner passes its own environment with the app's settings)."""
    return {
        key: value
        for key, value in env.items()
        if key not in HOST_ONLY and not key.startswith(HOST_ONLY_PREFIXES)
    }


def _env_args(env):
    # `--env NAME` without a value takes the value from podman's own environment: the
    # settings (SECRET_KEY among them) are not in any process's command line.
    return [arg for key in env for arg in ("--env", key)]


def manage(env, *args, image=IMAGE):
    """`python manage.py ARGS` in a container of the image, as the README tells the city to
    migrate on an upgrade: `manage(env, "migrate", "--noinput")`. Returns its output; raises
    CalledProcessError (with the output) when the command fails."""
    env = container_env(env)
    result = podman(
        "run", "--rm", "--network", "host", "--read-only", *ULIMITS, *_env_args(env), image,
        "python", "manage.py", *args, env={**os.environ, **env}, check=False,
    )  # fmt: skip
    if result.returncode != 0:
        raise subprocess.CalledProcessError(
            result.returncode, ["manage.py", *args], result.stdout, result.stderr
        )
    return result.stdout


class PodmanInstance:
    """One app instance: a container of IMAGE on the host's network. stop() removes the
    container, keeping its log; start() runs a new one with the same settings."""

    def __init__(self, name, port, env, image=IMAGE, ready_timeout=60):
        self.name = name
        self.port = port
        self.env = {**container_env(env), "GUNICORN_BIND": f"127.0.0.1:{port}"}
        self.image = image
        self.ready_timeout = ready_timeout
        self.container = f"handlingsplan-{name}-{port}-{os.getpid()}"
        self._earlier_logs = ""
        self.running = False

    def start(self):
        podman(
            "run", "--detach", "--name", self.container, "--network", "host", "--read-only",
            *ULIMITS, *_env_args(self.env), self.image, env={**os.environ, **self.env},
        )  # fmt: skip
        self.running = True
        self._wait_until_healthy()
        return self

    def _wait_until_healthy(self):
        """Until /healthz answers 200 (gunicorn listens and reaches the database), as the
        host's instances are waited for; a container that ends meanwhile fails at once."""
        deadline = time.monotonic() + self.ready_timeout
        last = "no answer"
        while time.monotonic() < deadline:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=2)
                connection.request("GET", "/healthz")
                status = connection.getresponse().status
                connection.close()
                if status == 200:
                    return
                last = f"status {status}"
            except OSError as exc:
                last = str(exc)
            state = podman("inspect", "--format", "{{.State.Status}}", self.container,
                           check=False).stdout.strip()  # fmt: skip
            if state not in ("running", "created", "configured"):
                raise RuntimeError(f"instance {self.name} ended ({state}):\n{self.logs()}")
            time.sleep(0.2)
        raise RuntimeError(
            f"instance {self.name} on {self.port} not healthy after {self.ready_timeout} s "
            f"({last}):\n{self.logs()}"
        )

    def stop(self):
        """Stops gunicorn as a platform would: SIGTERM, requests in progress finish within
        gunicorn's graceful_timeout (30 s), podman kills after 40. Then removes the container,
        also one whose start failed."""
        if self.running:
            podman("stop", "--time", "40", self.container, check=False)
            self._earlier_logs = self.logs()
            self.running = False
        podman("rm", "--force", "--ignore", self.container, check=False)

    def logs(self):
        if not self.running:
            return self._earlier_logs
        # gunicorn writes its access log to standard output and its errors to standard error.
        result = podman("logs", self.container, check=False)
        return self._earlier_logs + result.stdout + result.stderr


def start_instance(name, port, env):
    instance = PodmanInstance(name, port, env)
    try:
        return instance.start()
    except BaseException:
        instance.stop()
        raise
