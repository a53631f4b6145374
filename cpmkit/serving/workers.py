"""Several Voila workers behind nginx: ``cpmkit serve --workers N`` on one machine, and the proxy
configuration for workers on several machines (``cpmkit proxy-config``, docs/deploy.md).

How nginx routes (``nginx_config``):

* A kernel's own requests (its websocket ``/api/kernels/<id>/channels``, Voila's shutdown
  beacon ``/voila/api/shutdown/<id>``) go to the worker whose number starts the kernel id
  (``web_gate.worker_prefix``): only that worker holds the kernel.
* Every other request goes by a consistent hash of the browser cookie, so a browser keeps to
  one worker (its per-browser limits hold) while a room spreads over all of them. Not by
  address (a room shares one public address) nor by link: a workshop code, a pulse link and a
  board link are shared by a whole room, which would land on one worker. A browser's first
  request, before it has the cookie, goes round-robin (nginx's fallback for an empty key). A
  worker that is full answers 503 before starting a kernel, and nginx tries the next one.
* ``/voila/query/`` (Voila's pre-heat channel, for kernels on the worker's machine) is not proxied.

Each worker keeps its own kernel cap and per-client limits in memory; ``cpmkit serve
--workers N`` gives each worker 1/N of the machine's cap. Workers share the store, and the
cookie key through the data folder (one machine) or a file given to each (several machines).
"""

from __future__ import annotations

import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from types import FrameType
from typing import Final

from cpmkit.errors import CpmkitError

__all__ = ["NGINX", "listen_address", "nginx_binary", "nginx_config", "run_workers"]

#: Debian's nginx (``apt install nginx``; ``make test`` installs it).
NGINX: Final = "/usr/sbin/nginx"
#: Seconds a worker may take to answer after it starts, and to stop after it is asked to.
START_TIMEOUT: Final = 120
STOP_TIMEOUT: Final = 30
#: A page's websocket may stay quiet this long (Jupyter pings it every 30 s anyway).
SOCKET_IDLE: Final = "1h"
_TEMP_PATHS: Final = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
#: Besides SIGINT (Ctrl+C): what a service manager sends, and what a closing terminal sends (which
#: would otherwise end ``serve`` at once and leave nginx, which takes SIGHUP as "reload", running).
_STOP_SIGNALS: Final = (signal.SIGTERM, signal.SIGHUP)


def listen_address(host: str, port: int) -> str:
    """nginx's ``listen`` value for ``cpmkit serve --host HOST --port PORT``."""
    if host in ("", "0.0.0.0"):
        return str(port) if host == "" else f"0.0.0.0:{port}"
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def nginx_config(workers: Sequence[str], *, listen: str, state_dir: Path | None = None) -> str:
    """A whole nginx.conf putting ``workers`` (``host:port``, worker 1 first) behind ``listen``.

    With ``state_dir``, nginx keeps its pid and temporary files there (an nginx run by ``cpmkit
    serve``, not as a system service); without, it uses its defaults (a container's nginx)."""
    from cpmkit.serving.web_gate import BROWSER_COOKIE, worker_prefix

    if not workers:
        raise CpmkitError("nginx needs at least one worker.")
    main_state = f"\npid {state_dir / 'nginx.pid'};" if state_dir else ""
    http_state = "".join(f"\n    {name}_temp_path {state_dir / name};" for name in _TEMP_PATHS) if state_dir else ""
    servers = "\n".join(f"        server {address} max_fails=0;" for address in workers)
    kernels = "\n".join(
        f"        location ~ ^/(?:api/kernels|voila/api/shutdown)/{worker_prefix(number)} {{\n"
        f"            proxy_pass http://{address};\n"
        "            # A closing tab's shutdown beacon must reach the worker even if the browser is gone.\n"
        "            proxy_ignore_client_abort on;\n"
        "        }"
        for number, address in enumerate(workers, 1)
    )
    return f"""# cpmkit: {len(workers)} Voila worker(s) behind nginx (cpmkit/serving/workers.py says how it routes).
worker_processes auto;{main_state}
events {{
    worker_connections 4096;
}}
http {{
    access_log off;{http_state}
    # Sign-in forms and the like are small; a file upload travels over the page's websocket.
    client_max_body_size 1m;
    client_body_buffer_size 1m;

    # The browser cookie, signed by the server ("" before the browser has one).
    map $http_cookie $cpmkit_browser {{
        "~(?:^|;)\\s*{BROWSER_COOKIE}=(?<browser>[^;]+)" $browser;
        default "";
    }}
    map $http_upgrade $cpmkit_connection {{
        default upgrade;
        "" close;
    }}
    # Behind a TLS terminator, its scheme; else this connection's.
    map $http_x_forwarded_proto $cpmkit_scheme {{
        default $http_x_forwarded_proto;
        "" $scheme;
    }}

    upstream cpmkit_workers {{
        zone cpmkit_workers 64k;
        hash $cpmkit_browser consistent;
        # A full worker's 503 is not a failure: counted as one, it would take the worker out of
        # service for every request (all full: nginx's own 502 page, which does not retry).
{servers}
    }}

    server {{
        listen {listen};
        proxy_http_version 1.1;
        # The Host as the browser sent it: the server builds the links it shows on it.
        proxy_set_header Host $http_host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        proxy_set_header X-Forwarded-Proto $cpmkit_scheme;
        proxy_set_header X-Scheme $cpmkit_scheme;  # tornado reads this one first
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $cpmkit_connection;
        proxy_buffering off;
        proxy_connect_timeout 5s;  # a worker that does not answer: the next one, soon
        proxy_read_timeout {SOCKET_IDLE};
        proxy_send_timeout {SOCKET_IDLE};

        location /voila/query/ {{
            return 404;
        }}
{kernels}
        location / {{
            proxy_pass http://cpmkit_workers;
            # A full worker (503, before any kernel starts) passes the page on to the next one.
            proxy_next_upstream error timeout http_502 http_503;
        }}
    }}
}}
"""


def nginx_binary() -> str:
    """nginx's path; a CpmkitError that says how to install it if there is none."""
    found = shutil.which("nginx") or (NGINX if Path(NGINX).is_file() else None)
    if found is None:
        raise CpmkitError("--workers needs nginx: install it (Debian: apt install nginx) and try again.")
    return found


def run_workers(
    count: int, voila: Callable[[int, int], list[str]], *, host: str, port: int, env: dict[str, str]
) -> int:
    """Run ``count`` Voila workers on free 127.0.0.1 ports (``voila(number, port)`` is worker
    ``number``'s command: ``cli.voila_command(..., worker=number)``), then nginx on ``host:port``
    in front of them, until one of them stops or this process is asked to (Ctrl+C, SIGTERM, or
    SIGHUP as its terminal closes); then stop them all. Returns the first child's exit status to
    stop, or 0 when asked to stop."""
    from cpmkit.serving.server import free_port, wait_until_answers

    nginx = nginx_binary()
    state = Path(tempfile.mkdtemp(prefix="cpmkit-serve-"))
    children: list[subprocess.Popen[bytes]] = []
    previous = {signum: signal.signal(signum, _stop_on_signal) for signum in _STOP_SIGNALS}
    try:
        ports: list[int] = []
        while len(ports) < count:
            if (candidate := free_port()) not in ports:
                ports.append(candidate)
        for number, worker_port in enumerate(ports, 1):
            children.append(subprocess.Popen(voila(number, worker_port), env=env, stdin=subprocess.DEVNULL))
        workers = [f"127.0.0.1:{worker_port}" for worker_port in ports]
        for number, (child, address) in enumerate(zip(children, workers), 1):
            if not wait_until_answers(child, f"http://{address}/", timeout=START_TIMEOUT):
                raise CpmkitError(f"Worker {number} did not start (its log is above).")
            print(f"cpmkit: worker {number} on http://{address}", flush=True)
        config = state / "nginx.conf"
        config.write_text(nginx_config(workers, listen=listen_address(host, port), state_dir=state))
        children.append(
            subprocess.Popen(
                [nginx, "-e", "stderr", "-p", str(state), "-c", str(config), "-g", "daemon off;"],
                stdin=subprocess.DEVNULL,
            )
        )
        print(f"cpmkit: nginx on {listen_address(host, port)} in front of {count} workers", flush=True)
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        return next(child.returncode for child in children if child.returncode is not None)
    except KeyboardInterrupt:
        return 0
    finally:
        for signum in _STOP_SIGNALS:  # stopping already: a second request must not cut it short
            signal.signal(signum, signal.SIG_IGN)
        _stop(children)
        shutil.rmtree(state, ignore_errors=True)
        for signum, handler in previous.items():
            signal.signal(signum, handler)


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # leave through run_workers' cleanup, as Ctrl+C does


def _stop(children: Sequence[subprocess.Popen[bytes]]) -> None:
    """SIGTERM each child still running (Voila shuts its kernels down; nginx stops at once),
    then SIGKILL any that has not stopped within ``STOP_TIMEOUT``."""
    for child in children:
        if child.poll() is None:
            child.terminate()
    deadline = time.monotonic() + STOP_TIMEOUT
    for child in children:
        try:
            child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()
