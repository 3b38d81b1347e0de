"""An app instance as gunicorn on this machine, from the checkout, with gunicorn.conf.py.

The runner uses every kind of instance through start_instance(name, port, env) and the
handle's stop(), start() and logs() (podman.py has the same for a container)."""

import http.client
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The venv's gunicorn beside the python running the check (the checkout's .venv in CI).
GUNICORN = str(Path(sys.executable).with_name("gunicorn"))


def wait_until_healthy(port, timeout=30.0, process=None):
    """Until /healthz on 127.0.0.1:port answers 200: a listening gunicorn whose workers can
    reach the database."""
    deadline = time.monotonic() + timeout
    last = "no answer"
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"gunicorn on port {port} exited with {process.returncode}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status == 200:
                return
            last = f"status {response.status}"
        except OSError as exc:
            last = str(exc)
        time.sleep(0.2)
    raise RuntimeError(f"instance on port {port} not healthy after {timeout:.0f} s: {last}")


class HostInstance:
    def __init__(self, name, port, env, log_dir):
        self.name = name
        self.port = port
        self.env = {
            **env,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "WEB_CONCURRENCY": env.get("WEB_CONCURRENCY", "2"),
        }
        self.log_path = Path(log_dir) / f"instance-{name}.log"
        self.process = None

    def start(self):
        log = open(self.log_path, "ab")  # noqa: SIM115 (the child keeps it open)
        try:
            self.process = subprocess.Popen(
                [GUNICORN, "handlingsplan.wsgi", "-c", "gunicorn.conf.py"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                # Its own process group: Ctrl+C in the terminal reaches the runner only, which
                # then stops each instance itself, in order.
                start_new_session=True,
            )
        finally:
            log.close()
        try:
            wait_until_healthy(self.port, process=self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self):
        """gunicorn's graceful stop (SIGTERM: requests in progress finish), as a service
        manager stops it; the process group is killed if it has not ended after 40 s."""
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    def logs(self):
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def __repr__(self):
        return f"<host instance {self.name} on 127.0.0.1:{self.port}>"


def start_instance(name, port, env, log_dir=None):
    return HostInstance(name, port, env, log_dir or tempfile.mkdtemp(prefix="hp-instance-")).start()
