"""The ``cpmkit`` command: serve the workbooks with Voila, rebuild notebooks, export data."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from cpmkit import __version__, config
from cpmkit.db import location
from cpmkit.errors import CpmkitError
from cpmkit.serving.kernel_limits import MEMORY_ENV
from cpmkit.serving.offline import SERVED_LIBRARY_ENV, served_library
from cpmkit.serving.page_access import PUBLIC_URL_ENV

__all__ = ["main"]

DEFAULT_PORT = 8866
DEFAULT_HOST = "127.0.0.1"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Addresses that listen on every network interface.
ALL_INTERFACES = ("0.0.0.0", "::", "")
#: A private address a UDP socket is "connected" to, never sent to, to learn the LAN address.
_PRIVATE_PROBE = ("10.255.255.255", 1)
#: A kernel whose page is gone is shut down after this many idle seconds.
DEFAULT_CULL_SECONDS = 300
#: Each page's kernel may use this much data memory (``CPMKIT_KERNEL_MEMORY_MB``): a workbook
#: needs about 320 MB, a 100 MB import a few times its size; a runaway page stops here.
DEFAULT_KERNEL_MEMORY_MB = 2048
SHARE_JUPYTER = Path(__file__).resolve().parent / "serving" / "share" / "jupyter"


def voila_command(
    notebooks: Path,
    *,
    host: str,
    port: int,
    cull_after: int = DEFAULT_CULL_SECONDS,
    preheat: int = 0,
    max_kernels: int = 0,
    fork_kernels: bool = True,
    worker: int = 0,
) -> list[str]:
    """The Voila invocation ``serve`` runs (also used by the tests and the benchmark); as worker
    number ``worker`` (1, 2...) behind the proxy of ``cpmkit.serving.workers`` when it is not 0."""
    pool = ["--VoilaConfiguration.preheat_kernel=True", f"--VoilaConfiguration.default_pool_size={preheat}"]
    # Its kernel ids carry its number, and clients' addresses come from the proxy's headers; a
    # taken port is an error, not a silent move to another the proxy does not know.
    behind_proxy = [
        f"--BoundKernelManager.worker={worker}",
        "--CpmkitVoila.behind_proxy=True",
        "--Voila.port_retries=0",
    ]
    return [
        sys.executable,
        "-m",
        "cpmkit.serving.voila_app",  # Voila, able to take a whole upload in one message
        str(notebooks),
        f"--port={port}",
        f"--Voila.ip={host}",
        "--no-browser",
        "--VoilaConfiguration.show_tracebacks=False",
        "--template=cpmkit",
        # Voila's shutdown beacon on tab close is refused (403, no XSRF cookie on /voila/render
        # pages: voila-dashboards/voila#1458), so idle kernels with no open tab are culled.
        f"--MappingKernelManager.cull_idle_timeout={cull_after}",
        f"--MappingKernelManager.cull_interval={min(60, cull_after)}",
        "--MappingKernelManager.cull_connected=False",
        # Kernels talk to Voila over Unix sockets named after each kernel: TCP ports are picked
        # before the kernel binds them, so kernels starting together (a pre-heated pool, a room
        # opening its links) can pick the same one, and the loser never comes up.
        "--KernelManager.transport=ipc",
        # nbclient waits 4 s for a cell's output after its reply; on a busy server (a room
        # arriving at once) the widget came later and the participant got a page with no app.
        "--VoilaExecutor.iopub_timeout=60",
        f"--CpmkitVoila.max_kernels={max_kernels}",
        f"--CpmkitVoila.fork_kernels={fork_kernels}",
        *(pool if preheat > 0 else []),
        *(behind_proxy if worker else []),
    ]


def serve_command(
    notebooks: Path,
    workers: int,
    *,
    host: str,
    port: int,
    cull_after: int,
    preheat: int,
    max_kernels: int,
    fork_kernels: bool = True,
) -> list[str]:
    """``cpmkit serve --workers N`` as a command for this Python (the tests and the benchmarks)."""
    return [
        sys.executable,
        "-c",
        "import sys; from cpmkit.cli import main; sys.exit(main())",
        "serve",
        f"--workers={workers}",
        f"--notebooks={notebooks}",
        f"--host={host}",
        f"--port={port}",
        f"--cull-after={cull_after}",
        f"--preheat={preheat}",
        f"--max-kernels={max_kernels}",
        "--fork-kernels" if fork_kernels else "--no-fork-kernels",
    ]


def serve_env(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The environment for Voila and its kernels: the store URL and the content folder made
    absolute, since each kernel starts in its notebook's folder, a memory limit per kernel
    unless one is set, and where the server serves the chart library."""
    env = dict(os.environ if environ is None else environ)
    env[location.DB_URL_ENV] = location.db_url(env)
    if env.get(config.TEMPLATES_DIR_ENV):
        env[config.TEMPLATES_DIR_ENV] = str(config.templates_dir(env).resolve())
    env.setdefault(MEMORY_ENV, str(DEFAULT_KERNEL_MEMORY_MB))
    # Voila finds the "cpmkit" page template (no CDN links) through JUPYTER_PATH.
    env["JUPYTER_PATH"] = os.pathsep.join(filter(None, [str(SHARE_JUPYTER), env.get("JUPYTER_PATH")]))
    env[SERVED_LIBRARY_ENV] = served_library()  # the kernels' charts import it from the server
    return env


def lan_address() -> str | None:
    """This machine's address on the local network, found offline: a UDP socket "connected" to a
    private address picks the interface a packet would leave by, and nothing is sent. None when
    there is no network (or only loopback)."""
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(_PRIVATE_PROBE)
            address = str(probe.getsockname()[0])
    except OSError:
        try:
            address = socket.gethostbyname(socket.gethostname())
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def serve_messages(host: str, port: int, *, lan: str | None, public_url: str | None = None) -> list[str]:
    """What ``serve`` tells the trainer on start: where to open it, whether phones in the room
    can reach it (and how to let them, with what that exposes), and the address links use."""
    from cpmkit.core.addresses import page_link

    index = page_link(f"http://{'127.0.0.1' if host in ALL_INTERFACES else host}:{port}", "index", {})
    lines = [f"cpmkit: open {index}  (Ctrl+C to stop)"]
    if host in LOOPBACK_HOSTS:
        lines.append(
            f"cpmkit: listening on {host} only: other devices (participants' phones, the room) cannot reach it. "
            f"To open it to the room, run: cpmkit serve --host 0.0.0.0 --port {port}"
            + (f" (this machine's network address is {lan})" if lan else "")
            + ". That lets anyone on the network open the sign-in page and any link you hand out; "
            "owners' pages still need a sign-in (README: What --host exposes)."
        )
    else:
        if lan and host in ALL_INTERFACES:
            lines.append(f"cpmkit: on this network: {page_link(f'http://{lan}:{port}', 'index', {})}")
        lines.append(
            f"cpmkit: listening on {host}: anyone who can reach this address can open the sign-in page and "
            "any link you send. Owners' pages need a sign-in; use HTTPS in front (a reverse proxy) beyond a trusted network."
        )
    if public_url:
        lines.append(f"cpmkit: links you share start with {public_url.rstrip('/')}")
    return lines


def _serve(args: argparse.Namespace) -> int:
    from cpmkit.core.addresses import valid_public_url
    from cpmkit.serving.content_folder import check_content
    from cpmkit.serving.notebooks import served_notebooks
    from cpmkit.serving.offline import chart_bundle

    if args.public_url and not valid_public_url(args.public_url):
        raise CpmkitError(f"--public-url {args.public_url!r} is not an http:// or https:// address.")
    if args.workers < 1 or args.worker < 0:
        raise CpmkitError("--workers takes a number from 1, and --worker a number from 1.")
    if args.workers > 1 and args.worker:
        raise CpmkitError("--workers runs its own workers; --worker is for one worker behind your own proxy.")
    if args.worker and location.this_machine_only(location.db_url()):
        raise CpmkitError(
            "--worker runs one of several workers on different machines, which must share one store: "
            "set CPMKIT_DB_URL to their PostgreSQL (a SQLite file is this machine's alone). See docs/deploy.md."
        )
    if args.workers > 1:
        _require_an_account()
    env = serve_env({**os.environ, config.TEMPLATES_DIR_ENV: str(args.templates)} if args.templates else None)
    templates = config.templates_dir(env)
    # A mistake in a content file stops the start, named, before anyone opens a page.
    for change in check_content(templates):
        print(f"cpmkit: your content changes who may open a page: {change}", flush=True)
    notebooks = args.notebooks or served_notebooks(templates)
    chart_bundle()  # build the offline chart library once, before any kernel needs it
    if args.public_url:
        env[PUBLIC_URL_ENV] = args.public_url
    print(f"cpmkit: store {location.db_url(env)}", flush=True)
    print(f"cpmkit: content {templates}", flush=True)
    for line in serve_messages(args.host, args.port, lan=lan_address(), public_url=args.public_url):
        print(line, flush=True)
    if args.workers > 1:
        return _serve_workers(args, notebooks, env)
    command = voila_command(
        notebooks,
        host=args.host,
        port=args.port,
        cull_after=args.cull_after,
        preheat=args.preheat,
        max_kernels=args.max_kernels,
        fork_kernels=args.fork_kernels,
        worker=args.worker,
    )
    os.execve(command[0], command, env)
    return 0  # not reached


def _serve_workers(args: argparse.Namespace, notebooks: Path, env: dict[str, str]) -> int:
    """``serve --workers N``: N Voila workers behind nginx, the machine's kernel cap split among them."""
    from cpmkit.serving.web_gate import default_max_kernels
    from cpmkit.serving.workers import nginx_binary, run_workers

    nginx_binary()  # before anything starts: say plainly that nginx is missing
    per_worker = max(1, (args.max_kernels or default_max_kernels(args.fork_kernels)) // args.workers)
    print(f"cpmkit: {args.workers} workers, at most {per_worker} open pages each", flush=True)

    def worker(number: int, port: int) -> list[str]:
        return voila_command(
            notebooks,
            host="127.0.0.1",
            port=port,
            cull_after=args.cull_after,
            preheat=args.preheat,
            max_kernels=per_worker,
            fork_kernels=args.fork_kernels,
            worker=number,
        )

    return run_workers(args.workers, worker, host=args.host, port=args.port, env=env)


def _require_an_account() -> None:
    """Workers each offer a first-run link of their own while there is no account, and nginx
    would send the browser that opens one to any worker: the first account comes first."""
    from cpmkit.accounts.store import AccountStore
    from cpmkit.db.database import Store

    store = Store.open()
    try:
        if AccountStore(store).count() == 0:
            raise CpmkitError("--workers needs an account first: run `cpmkit users add NAME --admin`, then serve.")
    finally:
        store.close()


def _init(args: argparse.Namespace) -> int:
    from cpmkit.serving.content_folder import init_content

    copied, kept = init_content(args.folder)
    for path in copied:
        print(f"wrote {path}")
    for path in kept:
        print(f"kept {path} (yours, unchanged)")
    print(f"cpmkit: edit the files in {args.folder}, then run: cpmkit serve --templates {args.folder}")
    return 0


def _proxy_config(args: argparse.Namespace) -> int:
    from cpmkit.serving.workers import nginx_config

    print(nginx_config(args.workers, listen=args.listen), end="")
    return 0


def _build_notebooks(args: argparse.Namespace) -> int:
    from cpmkit.serving.notebooks import stale_notebooks, write_notebooks

    if args.check:
        stale = stale_notebooks(args.out)
        for name in stale:
            print(f"out of date: {args.out / name} (run: cpmkit build-notebooks)", file=sys.stderr)
        return 1 if stale else 0
    for path in write_notebooks(args.out):
        print(f"wrote {path}")
    return 0


def _export(args: argparse.Namespace) -> int:
    from cpmkit.core import export
    from cpmkit.db.database import Store
    from cpmkit.stakeholders.export import stakeholder_tables
    from cpmkit.stakeholders.store import StakeholderStore

    store = Store.open()
    try:
        project_id = store.find_project(args.project)["id"]
        register = StakeholderStore(store)
        tables = stakeholder_tables(
            register.stakeholders(project_id), register.measures(project_id), today=dt.date.today()
        )
    finally:
        store.close()
    args.output.mkdir(parents=True, exist_ok=True)
    if args.format == "xlsx":
        written = [args.output / "stakeholder-value.xlsx"]
        written[0].write_bytes(export.to_xlsx(tables))
    else:
        written = []
        for name, table in tables.items():
            path = args.output / f"stakeholder-value-{name.replace(' ', '-')}.csv"
            path.write_bytes(export.to_csv(table))
            written.append(path)
    for path in written:
        print(f"wrote {path}")
    return 0


def _users(args: argparse.Namespace) -> int:
    from cpmkit.accounts.store import AccountStore
    from cpmkit.db.database import Store

    store = Store.open()
    try:
        accounts = AccountStore(store)
        if args.action == "list":
            for user in accounts.users():
                print(f"{user['username']}{'  (admin)' if user['is_admin'] else ''}")
            return 0
        password = _read_password(stdin=args.password_stdin)
        if args.action == "add":
            owner = accounts.add_user(args.name, password, admin=args.admin)
            print(f"added {owner.name}{' (admin: sees every project)' if owner.admin else ''}")
        else:
            accounts.set_password(args.name, password)
            print(f"new password for {args.name}; its sessions are signed out")
        return 0
    finally:
        store.close()


def _read_password(*, stdin: bool) -> str:
    """The new password: one line of standard input, or typed twice at a prompt (not echoed)."""
    if stdin:
        return sys.stdin.readline().rstrip("\n")
    import getpass

    first = getpass.getpass("Password: ")
    if getpass.getpass("Password again: ") != first:
        raise CpmkitError("The two passwords differ; nothing was changed.")
    return first


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="cpmkit", description="Customer-centric project management workbooks.")
    parser.add_argument("--version", action="version", version=f"cpmkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    init = commands.add_parser(
        "init",
        help="copy the default content into a folder of yours to adapt",
        description=(
            "Copy the default content files (question banks, retrospective formats, health-check and gap "
            "dimensions, feedback themes, notebook templates) into DIR, keeping any file already there. "
            "Edit them, then run `cpmkit serve --templates DIR`."
        ),
    )
    init.add_argument("folder", type=Path, metavar="DIR", help="the folder to copy into (made if missing)")
    init.set_defaults(run=_init)

    serve = commands.add_parser(
        "serve",
        help="serve the workbooks as web apps with Voila",
        description=(
            f"Serve the workbooks with Voila on http://HOST:PORT. Data goes to the store named by "
            f"{location.DB_URL_ENV} (default: a SQLite file in {config.data_dir()})."
        ),
    )
    serve.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=(
            f"address to listen on (default {DEFAULT_HOST}: this machine only). 0.0.0.0 or a network address exposes the "
            "sign-in page and every participant link to anyone who can reach it; owners' pages still need a sign-in"
        ),
    )
    serve.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port to listen on (default {DEFAULT_PORT})")
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the address people reach this server at (such as https://pm.example.org behind a reverse proxy); "
        "links, copy buttons and QR codes use it (default: the address each page was opened at)",
    )
    serve.add_argument(
        "--templates",
        type=Path,
        metavar="DIR",
        help=f"your content folder (made by `cpmkit init DIR`): question banks, formats, dimensions, notebook "
        f"templates; a file it lacks comes from the defaults (default: {config.TEMPLATES_DIR_ENV}, else the defaults)",
    )
    serve.add_argument(
        "--notebooks",
        type=Path,
        metavar="DIR",
        help="folder of notebooks to serve (default: generated at start from the content in use)",
    )
    serve.add_argument(
        "--preheat",
        type=int,
        default=0,
        metavar="N",
        help="keep N kernels per notebook ready, the notebook already run, so pages open at once "
        "(for a room arriving together; costs N idle kernels' memory per notebook; default 0)",
    )
    serve.add_argument(
        "--cull-after",
        type=int,
        default=DEFAULT_CULL_SECONDS,
        metavar="SECONDS",
        help=f"shut down a kernel whose page was closed after this many idle seconds (default {DEFAULT_CULL_SECONDS})",
    )
    serve.add_argument(
        "--max-kernels",
        type=int,
        default=0,
        metavar="N",
        help="most pages open at once (each is a kernel, planned at 64 MB forked, 150 MB not); past it, people see "
        "'the server is full' and the page retries by itself (default 0: as many as fit in the free memory)",
    )
    serve.add_argument(
        "--fork-kernels",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="fork each page's kernel from one process that has imported the workbooks already, so a room's "
        "kernels share that memory and start in a fraction of the CPU time (default: on; --no-fork-kernels "
        "starts each kernel as a new Python)",
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=1,
        metavar="N",
        help="run N Voila processes behind nginx (Debian's nginx package) listening on HOST:PORT, for rooms "
        "one process cannot serve; --max-kernels is shared among them (default 1: Voila alone, no nginx)",
    )
    serve.add_argument(
        "--worker",
        type=int,
        default=0,
        metavar="K",
        help="run as worker K of several on different machines, behind the nginx that `cpmkit proxy-config` "
        "writes; only that proxy may reach it (it trusts the client address the proxy sends). See docs/deploy.md",
    )
    serve.set_defaults(run=_serve)

    proxy = commands.add_parser(
        "proxy-config",
        help="print an nginx.conf for workers on several machines",
        description=(
            "Print an nginx configuration that puts cpmkit workers (each `cpmkit serve --worker K` on its own "
            "address) behind one address: a kernel's requests reach the worker holding it, and every browser "
            "keeps to one worker. See docs/deploy.md."
        ),
    )
    proxy.add_argument("workers", nargs="+", metavar="HOST:PORT", help="the workers' addresses, worker 1 first")
    proxy.add_argument("--listen", default="80", help="what nginx listens on: a port or ADDRESS:PORT (default 80)")
    proxy.set_defaults(run=_proxy_config)

    users = commands.add_parser(
        "users",
        help="owner accounts (project managers, trainers) who sign in",
        description=(
            "Add or list the accounts that sign in to the workbooks. An admin sees every project; "
            "anyone else sees the projects they created."
        ),
    )
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add an account (asks for its password)")
    add.add_argument("name", help="username: letters, digits, dots, dashes, underscores or @")
    add.add_argument("--admin", action="store_true", help="may see every project")
    password = actions.add_parser("password", help="set an account's password (signs its sessions out)")
    password.add_argument("name", help="username")
    for sub in (add, password):
        sub.add_argument(
            "--password-stdin", action="store_true", help="read the password from one line of standard input"
        )
    actions.add_parser("list", help="list the accounts")
    users.set_defaults(run=_users)

    build = commands.add_parser(
        "build-notebooks",
        help="generate the notebooks, for JupyterLab, from the content in use",
        description=(
            "Generate the workbook notebooks from notebooks.yaml of the content in use "
            f"({config.TEMPLATES_DIR_ENV}, else the defaults). `cpmkit serve` generates its own at start."
        ),
    )
    build.add_argument(
        "--out", type=Path, default=Path("notebooks"), help="folder to write the notebooks to (default: ./notebooks)"
    )
    build.add_argument("--check", action="store_true", help="write nothing; exit 1 if any notebook is out of date")
    build.set_defaults(run=_build_notebooks)

    exp = commands.add_parser(
        "export",
        help="export a project's stakeholder register and plan",
        description=(
            "Export workbook 1 (register, communication plan, engagement gaps, grid, scorecard) to CSV or XLSX."
        ),
    )
    exp.add_argument("--project", required=True, help="project name or number")
    exp.add_argument("--format", choices=["csv", "xlsx"], default="xlsx", help="file format (default xlsx)")
    exp.add_argument("--output", type=Path, default=Path("."), help="folder to write into (default: here)")
    exp.set_defaults(run=_export)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; errors are printed as one plain sentence, exit status 2."""
    args = build_parser().parse_args(argv)
    try:
        return int(args.run(args))
    except CpmkitError as exc:
        print(f"cpmkit: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
