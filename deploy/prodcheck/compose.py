"""The app instances of the production check as the repository's compose.yaml runs them:
`migrate`, `app-a` and `app-b` from one image built from the Containerfile, driven by
podman-compose.

podman-compose comes from PyPI (the dev extra), not Debian: bookworm's 1.0.3 ignores
depends_on's conditions, so its `up` would start the instances beside `migrate` instead of
after it, which compose.yaml promises the city. The podman underneath is Debian's (podman.py).

compose.yaml runs as it is: the check's values reach it only through the environment of each
podman-compose call (the variables compose.yaml interpolates) and files in a scratch folder of
its own: the app's settings in an env file (as the city's handlingsplan.env) and a
containers.conf (CONTAINERS_CONF) with what this machine needs and the city's does not: runc
instead of crun and ulimits under this machine's hard limits (see podman.py). The image's base
is podman.py's local stand-in for Debian's, passed as BASE_IMAGE.

One compose project per run of the check (its own name, so two runs on one machine do not
meet). The runner uses it through start_instance(name, port, env) and the handle's stop(),
start() and logs(), as it uses an instance on the host: the first instance's `up` runs
`migrate` before it (again after the runner's own preparation: a no-op on a current schema),
stop() and start() stop and start the service's container, and when the last instance is
stopped for good the project is taken down (`podman-compose down`: containers and all).
"""

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from . import podman

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "compose.yaml"
PODMAN_COMPOSE = str(Path(sys.executable).with_name("podman-compose"))
# One image per checkout, as podman.py's, and apart from it.
IMAGE = "localhost/handlingsplan:compose-" + hashlib.sha256(str(ROOT).encode()).hexdigest()[:8]
# What compose.yaml sets per service (environment:) from its variables; the env file holds the
# rest, the same for every instance.
PER_INSTANCE = {"GUNICORN_BIND", "DB_APPLICATION_NAME"}
CONTAINERS_CONF = """\
# This machine's podman, not the city's (deploy/prodcheck/podman.py says why).
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=4096:4096"]

[engine]
runtime = "runc"
"""


class Project:
    """The compose project of one run: its scratch folder, its variables, its instances."""

    def __init__(self):
        self.name = f"hp-check-{os.getpid()}"
        self.dir = None
        self.settings = None
        self.variables = {
            "HANDLINGSPLAN_IMAGE": IMAGE,
            "MIGRATE_DB_APPLICATION_NAME": "hp-migrate",
        }
        self.instances = {}
        self.migrated = False

    def _scratch(self):
        """The scratch folder, made anew after a `down` removed it."""
        if self.dir is None:
            self.dir = Path(tempfile.mkdtemp(prefix="prodcheck-compose."))
            conf = self.dir / "containers.conf"
            conf.write_text(CONTAINERS_CONF)
            self.variables["CONTAINERS_CONF"] = str(conf)
            env_file = self.dir / "handlingsplan.env"
            # Empty until the first instance's settings (a build needs only that it exists);
            # made readable by root alone before SECRET_KEY is written to it.
            env_file.touch(mode=0o600)
            self.variables["HANDLINGSPLAN_ENV_FILE"] = str(env_file)
        return self.dir

    def _drop_scratch(self):
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
        self.dir = None
        self.settings = None

    def compose(self, *args, timeout=300):
        """podman-compose ARGS on compose.yaml with the check's variables; its output is shown
        only when it fails."""
        self._scratch()
        result = subprocess.run(
            [PODMAN_COMPOSE, "-f", str(COMPOSE_FILE), "-p", self.name, *args],
            cwd=ROOT, env={**os.environ, **self.variables}, capture_output=True, text=True,
            timeout=timeout,
        )  # fmt: skip
        if result.returncode != 0:
            raise RuntimeError(
                f"podman-compose {' '.join(args)} exited with {result.returncode}:\n"
                f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
            )
        return result.stdout

    def build(self):
        """The image, built by compose from the Containerfile; podman's layer cache makes a
        build after a change to the source redo only the source's layers."""
        self.variables["BASE_IMAGE"] = podman.base_image()
        before = _image_id(IMAGE)
        try:
            # One service: all three name the same image and build.
            self.compose("build", "migrate", timeout=1800)
        finally:
            if not self.instances:
                self._drop_scratch()
        after = _image_id(IMAGE)
        if before and before != after:
            # As podman.py: the last build's image, now nameless, is removed unless in use.
            podman.podman("rmi", before, check=False)

    def write_settings(self, env):
        """The env file, from the first instance's settings; every instance must have the same
        (compose.yaml gives all one env file, as the README gives the city)."""
        settings = {
            key: value
            for key, value in podman.container_env(env).items()
            # The runner passes its whole environment along; a value over several lines cannot
            # be said in an env file, and no setting of the app has one.
            if key not in PER_INSTANCE and "\n" not in value
        }
        if self.settings is None:
            env_file = self._scratch() / "handlingsplan.env"
            env_file.write_text("".join(f"{k}={v}\n" for k, v in settings.items()))
            self.settings = settings
        elif settings != self.settings:
            differ = sorted(k for k in settings.keys() | self.settings.keys()
                            if settings.get(k) != self.settings.get(k))  # fmt: skip
            raise RuntimeError(f"instances with different settings ({', '.join(differ)})")

    def container(self, service):
        """The container of a service, by compose's labels."""
        return podman.podman(
            "ps", "--all", "--format", "{{.Names}}",
            "--filter", f"label=io.podman.compose.project={self.name}",
            "--filter", f"label=com.docker.compose.service={service}",
        ).stdout.strip()  # fmt: skip

    def down(self):
        """Everything of the project gone: its containers (compose's `down`), its scratch
        folder and with it the settings (a later start writes them again)."""
        try:
            self.compose("down", "--timeout", "40")
        finally:
            self._drop_scratch()
            for instance in self.instances.values():
                instance.container = None


def _image_id(name):
    return podman.podman(
        "image", "inspect", "--format", "{{.Id}}", name, check=False
    ).stdout.strip()


class ComposeInstance:
    """app-a or app-b of the project. stop() stops its container (its log stays with it);
    start() starts it again, or brings it up when it is not there."""

    def __init__(self, project, name, port, env, ready_timeout=120):
        if name not in ("a", "b"):
            raise ValueError(f"compose.yaml has the instances a and b, not {name!r}")
        self.project = project
        self.name = name
        self.port = port
        self.service = f"app-{name}"
        self.ready_timeout = ready_timeout
        self.running = False
        self._logs = ""
        self.container = None
        self.env = env
        project.write_settings(env)
        prefix = f"APP_{name.upper()}_"
        project.variables.update({
            prefix + "BIND": "127.0.0.1",
            prefix + "PORT": str(port),
            prefix + "DB_APPLICATION_NAME": env.get("DB_APPLICATION_NAME", f"hp-{name}"),
        })  # fmt: skip

    def start(self):
        self.running = True
        self.project.instances[self.name] = self
        if self.container:
            self.project.compose("start", self.service)
        else:
            self.project.write_settings(self.env)
            # As the README tells the city: migrate once, to its end (`run` waits and fails on
            # a failed migration), then each instance without the dependency. With it, podman
            # 4.3 would tie the instance to migrate's container (--requires): migrate ran again
            # at each start, and an instance that ended was not restarted.
            if not self.project.migrated:
                self.project.compose("run", "--rm", "migrate")
                self.project.migrated = True
            self.project.compose("up", "--detach", "--no-deps", self.service)
            self.container = self.project.container(self.service)
        self._wait_until_healthy()
        return self

    # Until /healthz answers 200; a container that ends meanwhile fails at once (the same
    # attributes as podman.py's instance: name, port, container, ready_timeout, logs()).
    _wait_until_healthy = podman.PodmanInstance._wait_until_healthy

    def stop(self):
        """As podman.py's: SIGTERM, gunicorn's graceful timeout (stop_grace_period in
        compose.yaml). The last instance stopped takes the project down; a later start()
        brings it up again."""
        if self.running and self.container:
            self.project.compose("stop", self.service)
        self.running = False
        if self.container:
            self._logs = self._read_logs()
        if not any(i.running for i in self.project.instances.values()):
            self.project.down()

    def _read_logs(self):
        # gunicorn writes its access log to standard output and its errors to standard error;
        # a container's log spans all its starts.
        result = podman.podman("logs", self.container, check=False)
        return result.stdout + result.stderr

    def logs(self):
        if self.container:
            self._logs = self._read_logs()
        return self._logs


_project = None


def _current():
    global _project  # noqa: PLW0603 (one project per run: the two instances share it)
    if _project is None:
        _project = Project()
    return _project


def build_image(log=print):
    began = time.monotonic()
    _current().build()
    log(f"     image built by compose ({time.monotonic() - began:.1f} s)")


def start_instance(name, port, env):
    project = _current()
    instance = ComposeInstance(project, name, port, env)
    try:
        return instance.start()
    except BaseException:
        instance.stop()
        raise
