"""The production check (`make prod-check`): the app as the city runs it, on this machine.

PostgreSQL, Redis, a mail server that keeps what it receives, two app instances and nginx
with TLS in front of them (deploy/nginx/), then the checks of issue 23 through https and a real
browser. `python -m deploy.prodcheck --help` from the checkout.

- stack.py: the services, each stopped again by the process id it was started with;
- host.py: an app instance as gunicorn on this machine (podman.py: the same as a container);
- checks.py: the checks, one line each;
- __main__.py: the runner.
"""
