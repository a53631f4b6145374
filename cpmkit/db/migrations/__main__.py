"""Alembic's command line on cpmkit's revisions, with no alembic.ini: ``python -m
cpmkit.db.migrations revision --autogenerate -m "what changed"`` (README.md)."""

from __future__ import annotations

import sys

from alembic.config import CommandLine

from cpmkit.db.migrations import config


def main(argv: list[str]) -> None:
    """Run one Alembic command (``revision``, ``upgrade``, ``current``...) on cpmkit's revisions."""
    cli = CommandLine(prog="python -m cpmkit.db.migrations")
    options = cli.parser.parse_args(argv)
    cfg = config()
    cfg.cmd_opts = options
    cli.run_cmd(cfg, options)


if __name__ == "__main__":
    main(sys.argv[1:])
