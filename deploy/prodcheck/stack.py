"""The services of the production check, each started on free ports under one scratch folder
and stopped again by the process id it was started with (never by name: other people run
servers on the same machine).

Stack is a context manager: whatever it started is stopped when the block ends, also after a
failed check, an exception or Ctrl+C (the runner turns SIGTERM into the same)."""

import contextlib
import email
import email.policy
import functools
import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NGINX_DIR = ROOT / "deploy" / "nginx"
PYTHON = sys.executable
SECRET_KEY = "prod-check-only-" + os.urandom(8).hex()
REDIS_PASSWORD = os.urandom(12).hex()

DEMO_PASSWORD = "demo-handlingsplan"  # activities/management/commands/create_demo_users.py
PLAN = "2024-2025"  # the plan load_plan reads from fixtures/
ROUND = "Produktionskontroll"


# Set by the runner on Ctrl+C or SIGTERM. Playwright's sync API can swallow the
# KeyboardInterrupt raised inside its event loop (the check then fails on a closed browser),
# so the checks look here too and stop.
interrupted = threading.Event()


def free_port():
    """A port nobody listens on now (the kernel's choice); taken again a moment later, so a
    clash is possible but rare, and shows as a service that does not start."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for_port(port, timeout=20.0, host="127.0.0.1"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError), socket.create_connection((host, port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on {host}:{port} after {timeout:.0f} s")


def run(args, **kwargs):
    """A command that must succeed; its output is shown only when it fails."""
    result = subprocess.run(args, capture_output=True, text=True, **kwargs)
    if result.returncode != 0:
        raise RuntimeError(
            f"{' '.join(map(str, args))} exited with {result.returncode}:\n"
            f"{result.stdout[-3000:]}{result.stderr[-3000:]}"
        )
    return result.stdout


class Postgres:
    """A throwaway PostgreSQL server (as in .ci/run), logging every statement with the
    connection's application_name first, so a check can tell which instance ran what."""

    def __init__(self, scratch, port):
        self.port = port
        self.dir = Path(tempfile.mkdtemp(prefix="pg.", dir=scratch))
        self.log_path = self.dir / "log"
        bins = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key)
        if not bins:
            raise RuntimeError("PostgreSQL is not installed (apt-get install postgresql)")
        self.bin = Path(bins[-1])
        self.as_postgres = []
        if os.geteuid() == 0:
            # PostgreSQL refuses to run as root.
            self.as_postgres = ["runuser", "-u", "postgres", "--"]
            if subprocess.run(["id", "postgres"], capture_output=True).returncode != 0:
                run(["useradd", "--system", "--home-dir", "/nonexistent", "--shell",
                     "/usr/sbin/nologin", "postgres"])  # fmt: skip
            shutil.chown(self.dir, "postgres", "postgres")
            os.chmod(scratch, 0o755)

    @property
    def url(self):
        return f"postgres://postgres@127.0.0.1:{self.port}/handlingsplan"

    def init(self):
        run([*self.as_postgres, self.bin / "initdb", "-D", self.dir / "data", "-U", "postgres",
             "--auth=trust", "-E", "UTF8", "--locale-provider=icu", "--icu-locale=sv-SE",
             "--locale=C.UTF-8", "--text-search-config=swedish"])  # fmt: skip
        self.start()
        run([*self.as_postgres, self.bin / "createdb", "-h", "127.0.0.1", "-p", str(self.port),
             "-U", "postgres", "handlingsplan"])  # fmt: skip

    def start(self):
        options = (
            f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
            "-c log_statement=all -c log_line_prefix='%a '"
        )
        # setsid: the server in a session of its own, so Ctrl+C in the terminal reaches the
        # runner only, which then stops it in order (as it does every other service).
        run(["setsid", *self.as_postgres, self.bin / "pg_ctl", "-D", self.dir / "data", "-l",
             self.log_path, "-w", "-o", options, "start"])  # fmt: skip

    def stop(self):
        if (self.dir / "data" / "postmaster.pid").exists():
            run([*self.as_postgres, self.bin / "pg_ctl", "-D", self.dir / "data", "-m", "fast",
                 "-w", "stop"])  # fmt: skip

    def log_size(self):
        return self.log_path.stat().st_size

    def log_since(self, offset):
        with open(self.log_path, "rb") as log:
            log.seek(offset)
            return log.read().decode(errors="replace")


def _version_key(path):
    return int(Path(path).parent.name) if Path(path).parent.name.isdigit() else 0


class Process:
    """A service started here as a child process, in its own process group, logging to a file."""

    def __init__(self, name, args, log_path, cwd=None, env=None):
        self.name = name
        self.log_path = log_path
        with open(log_path, "ab") as log:
            self.popen = subprocess.Popen(
                args, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip

    def stop(self, sig=signal.SIGTERM, timeout=15):
        if self.popen.poll() is not None:
            return
        self.popen.send_signal(sig)
        try:
            self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.popen.pid, signal.SIGKILL)
            self.popen.wait()


def start_redis(scratch, port):
    """Redis as the README tells the city to run it: a password (the app's CACHE_URL carries
    it), a memory bound that drops the least recently used keys, nothing written to disk. The
    settings go in a file of the scratch folder, so the password is on no command line."""
    config = Path(scratch) / "redis.conf"
    config.touch(mode=0o600)
    config.write_text(
        f"port {port}\nbind 127.0.0.1\nrequirepass {REDIS_PASSWORD}\n"
        f"maxmemory 64mb\nmaxmemory-policy allkeys-lru\n"
        f'save ""\nappendonly no\ndir {scratch}\n'
    )
    redis = Process("redis", ["redis-server", str(config)], Path(scratch) / "redis.log")
    wait_for_port(port)
    return redis


class MailSink:
    """The SMTP server that keeps what it receives (mailsink.py), as a process of its own."""

    def __init__(self, scratch, port):
        self.folder = Path(scratch) / "mail"
        self.process = Process(
            "mail",
            [PYTHON, "-m", "deploy.prodcheck.mailsink", str(port), str(self.folder)],
            Path(scratch) / "mailsink.log",
            cwd=ROOT,
        )
        wait_for_port(port)

    def received(self):
        """Every message so far: (envelope recipients, email.message.EmailMessage)."""
        messages = []
        for path in sorted(self.folder.glob("*.json")):
            record = json.loads(path.read_text())
            message = email.message_from_string(record["message"], policy=email.policy.default)
            messages.append((record["to"], message))
        return messages

    def stop(self):
        self.process.stop()


def make_certificate(scratch):
    cert, key = Path(scratch) / "cert.pem", Path(scratch) / "key.pem"
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=localhost", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1",
         "-keyout", key, "-out", cert])  # fmt: skip
    return cert, key


@dataclass
class Ports:
    https: int = field(default_factory=free_port)
    http: int = field(default_factory=free_port)
    pinned_a: int = field(default_factory=free_port)
    pinned_b: int = field(default_factory=free_port)
    instance_a: int = field(default_factory=free_port)
    instance_b: int = field(default_factory=free_port)
    postgres: int = field(default_factory=free_port)
    redis: int = field(default_factory=free_port)
    smtp: int = field(default_factory=free_port)


# What the check replaces in deploy/nginx/handlingsplan.conf, and how often each must occur:
# only addresses, ports, server names and the paths of files (certificate, key, log, error
# pages, the proxy snippet). A string that is no longer in the file fails the check rather
# than letting it run another configuration than the one the city gets.
def site_replacements(ports, scratch, cert, key):
    return [
        ("server 127.0.0.1:8001 ", f"server 127.0.0.1:{ports.instance_a} ", 1),
        ("server 127.0.0.1:8002 ", f"server 127.0.0.1:{ports.instance_b} ", 1),
        ("listen 80;", f"listen 127.0.0.1:{ports.http};", 1),
        ("listen 443 ssl;", f"listen 127.0.0.1:{ports.https} ssl;", 1),
        # The redirect names the check's https port (on 443 it needs none).
        ("https://$server_name$request_uri", f"https://$server_name:{ports.https}$request_uri", 1),
        ("server_name handlingsplan.example.se;", "server_name localhost;", 2),
        ("/etc/ssl/certs/handlingsplan.pem", str(cert), 1),
        ("/etc/ssl/private/handlingsplan.key", str(key), 1),
        ("/var/log/nginx/handlingsplan.access.log", f"{scratch}/access.log", 1),
        ("/var/www/handlingsplan-errors/", f"{NGINX_DIR}/errors/", 1),
        (
            "/etc/nginx/snippets/handlingsplan-proxy.conf",
            f"{NGINX_DIR}/handlingsplan-proxy.conf",
            1,
        ),
    ]


def site_config(ports, scratch, cert, key):
    text = (NGINX_DIR / "handlingsplan.conf").read_text()
    for old, new, count in site_replacements(ports, scratch, cert, key):
        found = text.count(old)
        if found != count:
            raise RuntimeError(
                f"deploy/nginx/handlingsplan.conf: expected {old!r} {count} time(s), found {found}"
            )
        text = text.replace(old, new)
    return text


def pinned_server(listen_port, instance_port, cert, key):
    """A server block of the check's own that reaches one instance only, with the same TLS and
    the same proxy settings (the shared snippet) as the site's."""
    return f"""
server {{
    listen 127.0.0.1:{listen_port} ssl;
    server_name localhost;
    ssl_certificate {cert};
    ssl_certificate_key {key};
    server_tokens off;
    client_max_body_size 10m;
    access_log {Path(cert).parent}/access.log handlingsplan;
    location / {{
        include {NGINX_DIR}/handlingsplan-proxy.conf;
        proxy_pass http://127.0.0.1:{instance_port};
    }}
}}
"""


def nginx_config(ports, scratch, cert, key):
    """The outer nginx.conf: pid, logs and temporary folders under the scratch folder, so
    nothing of the system's nginx (/etc, /var) is used or touched."""
    site = Path(scratch) / "site.conf"
    site.write_text(site_config(ports, scratch, cert, key))
    temp = {name: Path(scratch) / "nginx-temp" / name for name in
            ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")}  # fmt: skip
    for path in temp.values():
        path.mkdir(parents=True, exist_ok=True)
    # As root, the workers would otherwise run as nobody, who cannot read the scratch folder.
    user = "user root root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
pid {scratch}/nginx.pid;
error_log {scratch}/nginx-error.log warn;
events {{ worker_connections 512; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log {scratch}/access-other.log;
    client_body_temp_path {temp["client_body"]};
    proxy_temp_path {temp["proxy"]};
    fastcgi_temp_path {temp["fastcgi"]};
    uwsgi_temp_path {temp["uwsgi"]};
    scgi_temp_path {temp["scgi"]};
    include {site};
    {pinned_server(ports.pinned_a, ports.instance_a, cert, key)}
    {pinned_server(ports.pinned_b, ports.instance_b, cert, key)}
}}
"""


class Nginx:
    def __init__(self, scratch, ports):
        self.scratch = Path(scratch)
        cert, key = make_certificate(scratch)
        self.conf = self.scratch / "nginx.conf"
        self.conf.write_text(nginx_config(ports, scratch, cert, key))
        self.access_log = self.scratch / "access.log"
        run(["nginx", "-t", "-q", "-c", self.conf, "-p", self.scratch])
        # In the foreground (daemon off), so the runner holds its process id.
        self.process = Process(
            "nginx",
            ["nginx", "-c", str(self.conf), "-p", str(self.scratch), "-g", "daemon off;"],
            self.scratch / "nginx-stdout.log",
        )
        for port in (ports.https, ports.http, ports.pinned_a, ports.pinned_b):
            wait_for_port(port)

    def stop(self):
        # SIGQUIT: nginx's graceful shutdown.
        self.process.stop(signal.SIGQUIT)

    def access_lines(self):
        return self.access_log.read_text(errors="replace").splitlines()


# The database as the checks need it, written once before the instances start: the demo
# plan published for insyn and a reporting round to send reminders from.
PREPARE_CODE = f"""
import datetime
from areas.models import Plan
from activities.models import ReportingRound
plan = Plan.objects.get(slug={PLAN!r})
plan.published = True
plan.save()
ReportingRound.objects.get_or_create(
    plan=plan, name={ROUND!r},
    defaults={{"opens_on": datetime.date(2025, 9, 1), "deadline": datetime.date(2025, 10, 15)}},
)
"""


class Stack:
    """Everything the checks run against. `kind`: the app instances as gunicorn on this
    machine (host.py) or as containers of the repository's image (podman.py); the runner uses
    either through start_instance(name, port, env) and the handle's stop(), start(), logs()."""

    def __init__(self, kind="host", log=print):
        self.kind = kind
        self.log = log
        self.ports = Ports()
        self.exit = contextlib.ExitStack()
        self.instances = {}

    @property
    def url(self):
        return f"https://localhost:{self.ports.https}"

    def pinned_url(self, name):
        port = self.ports.pinned_a if name == "a" else self.ports.pinned_b
        return f"https://localhost:{port}"

    def app_env(self, name):
        ports = self.ports
        origins = [f"https://localhost:{p}" for p in (ports.https, ports.pinned_a, ports.pinned_b)]
        # Only what a process needs to run from this machine's environment, never the rest of
        # it: a CI runner's EMAIL_* or OIDC_* would otherwise change what is checked.
        passed_on = {
            k: os.environ[k] for k in ("PATH", "HOME", "LANG", "TMPDIR") if k in os.environ
        }
        return {
            **passed_on,
            "DEBUG": "0",
            "SECRET_KEY": SECRET_KEY,
            "DATABASE_URL": self.postgres.url,
            "ALLOWED_HOSTS": "localhost,127.0.0.1",
            "CSRF_TRUSTED_ORIGINS": ",".join(origins),
            "BEHIND_HTTPS_PROXY": "1",
            "TRUSTED_PROXY_COUNT": "1",
            "FORWARDED_ALLOW_IPS": "127.0.0.1",
            "SECURE_HSTS_SECONDS": "3600",
            "SITE_URL": self.url,
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(ports.smtp),
            "DEFAULT_FROM_EMAIL": "handlingsplan@localhost",
            "CACHE_URL": f"redis://:{REDIS_PASSWORD}@127.0.0.1:{ports.redis}/0",
            "DB_APPLICATION_NAME": f"hp-{name}",
            "COUNTERS_DIR": str(self.scratch / "counters"),
            "WEB_CONCURRENCY": "2",
            "PYTHONUNBUFFERED": "1",
        }

    def __enter__(self):
        try:
            self._start()
        except BaseException:
            self.exit.close()
            raise
        return self

    def __exit__(self, *exc):
        # A second Ctrl+C must not cut the clean-up short and leave servers behind.
        previous = {
            sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)
        }
        try:
            self.exit.close()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)

    def _step(self, what, start, stop):
        began = time.monotonic()
        started = start()
        self.exit.callback(self._quietly, what, stop, started)
        self.log(f"     {what} ({time.monotonic() - began:.1f} s)")
        return started

    def _quietly(self, what, stop, started):
        try:
            stop(started)
        except Exception as exc:  # noqa: BLE001 (every other service must still be stopped)
            print(f"FAIL stopping {what}: {exc}", file=sys.stderr)

    def _start(self):
        ports = self.ports
        self.scratch = Path(tempfile.mkdtemp(prefix="prodcheck."))
        self.exit.callback(shutil.rmtree, self.scratch, ignore_errors=True)
        start_instance = self._instance_kind()
        self.postgres = Postgres(self.scratch, ports.postgres)
        self._step(
            f"PostgreSQL on {ports.postgres}", self.postgres.init, lambda _: self.postgres.stop()
        )
        self.redis = self._step(
            f"Redis on {ports.redis}", lambda: start_redis(self.scratch, ports.redis),
            lambda redis: redis.stop(),
        )  # fmt: skip
        self.mail = self._step(
            f"SMTP server on {ports.smtp}", lambda: MailSink(self.scratch, ports.smtp),
            lambda mail: mail.stop(),
        )  # fmt: skip
        self._step("database prepared", self._prepare, lambda _: None)
        for name, port in (("a", ports.instance_a), ("b", ports.instance_b)):
            self.instances[name] = self._step(
                f"instance {name} ({self.kind}) on {port}",
                lambda name=name, port=port: start_instance(name, port, self.app_env(name)),
                lambda instance: instance.stop(),
            )
        self.nginx = self._step(
            f"nginx on {ports.https} (https), {ports.http} (http)",
            lambda: Nginx(self.scratch, ports), lambda nginx: nginx.stop(),
        )  # fmt: skip

    def _instance_kind(self):
        if self.kind == "podman":
            from . import podman

            began = time.monotonic()
            podman.build_image()
            self.log(f"     image built ({time.monotonic() - began:.1f} s)")
            return podman.start_instance
        if self.kind == "compose":
            from . import compose

            compose.build_image(self.log)
            return compose.start_instance
        from . import host

        return functools.partial(host.start_instance, log_dir=self.scratch)

    def instance_on_port(self, port):
        return next(i for i in self.instances.values() if i.port == port)

    def _prepare(self):
        env = {**self.app_env("prepare"), "DB_APPLICATION_NAME": "hp-prepare"}
        manage = [PYTHON, "manage.py"]
        run([*manage, "migrate", "--noinput"], cwd=ROOT, env=env)
        run([*manage, "load_plan", "--if-missing"], cwd=ROOT, env=env)
        # Demo accounts are made only with DEBUG on (create_demo_users refuses otherwise).
        run([*manage, "create_demo_users", "--quiet"], cwd=ROOT, env={**env, "DEBUG": "1"})
        run([*manage, "shell", "-c", PREPARE_CODE], cwd=ROOT, env=env)
        if self.kind == "host":
            # DEBUG=0 serves static files with whitenoise's manifest: collected beforehand.
            run([*manage, "collectstatic", "--noinput"], cwd=ROOT, env=env)

    def leave_running(self):
        """For --keep: forget the clean-up and write a script that does it instead."""
        lines = ["#!/bin/sh", "# Stops the production check's stack (deploy/prodcheck)."]
        for instance in self.instances.values():
            lines.append(stop_command(instance))
        lines += [
            f"kill -QUIT {self.nginx.process.popen.pid}",
            f"kill {self.redis.popen.pid} {self.mail.process.popen.pid}",
            " ".join([*self.postgres.as_postgres, str(self.postgres.bin / "pg_ctl"), "-D",
                      str(self.postgres.dir / "data"), "-m", "fast", "-w", "stop"]),
            "sleep 1",
            f"rm -rf {self.scratch}",
        ]  # fmt: skip
        script = self.scratch / "stop.sh"
        script.write_text("\n".join(lines) + "\n")
        script.chmod(0o755)
        self.exit.pop_all()
        return script


def stop_command(instance):
    project = getattr(instance, "project", None)
    if project is not None:
        # compose.py's: every container of the project (migrate too) and its scratch folder.
        label = f"label=io.podman.compose.project={project.name}"
        return (
            f"podman ps -aq --filter {label} | xargs -r podman --runtime runc rm --force; "
            f"rm -rf {project.dir}"
        )
    process = getattr(instance, "process", None)
    if process is not None:
        return f"kill -TERM {process.pid}"
    container = getattr(instance, "container", None)
    if container:
        return f"podman --runtime runc rm --force {container}"
    return f"# stop {instance!r} by hand"
