"""Voila as ``cpmkit serve`` runs it (``python -m cpmkit.serving.voila_app`` plus Voila's own options):
Voila behind cpmkit's gate (``cpmkit.serving.web_gate``), able to take a whole upload in one message,
and allowed as many open files as the system gives it (``cpmkit.serving.open_files``).

A FileUpload sends its file in one websocket message, and tornado refuses messages over 10 MiB
by default, so an export that ``survey_import.reader`` accepts would never arrive. The limit is set
on the application as a number; on the command line it would need traitlets' deprecated
dict-literal form (``key=value`` would make it text, which tornado cannot compare).
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Sequence
from typing import Any, Final

from tornado.web import url
from traitlets import Bool, Int
from voila.app import Voila

from cpmkit.core.capacity import kernel_budget
from cpmkit.feedback.survey_import.reader import MAX_FILE_BYTES
from cpmkit.serving import forking, web_gate
from cpmkit.serving.kernel_count import KernelCountFile
from cpmkit.serving.open_files import raise_open_files_limit
from cpmkit.serving.page_access import BASE_URL_HEADER, IDENTITY_HEADER
from cpmkit.serving.page_templates import install_compiled_templates

__all__ = ["UPLOAD_OVERHEAD_BYTES", "WEBSOCKET_MESSAGE_LIMIT", "CpmkitVoila", "main", "tornado_settings"]

#: Room in a websocket message beside an uploaded file (its name, type and the widget's state).
UPLOAD_OVERHEAD_BYTES: Final = 1024 * 1024
WEBSOCKET_MESSAGE_LIMIT: Final = MAX_FILE_BYTES + UPLOAD_OVERHEAD_BYTES


def tornado_settings() -> dict[str, Any]:
    """The settings cpmkit adds to Voila's web application."""
    return {"websocket_max_message_size": WEBSOCKET_MESSAGE_LIMIT}


class CpmkitVoila(Voila):  # type: ignore[misc]
    """Voila with the gate: owners sign in, links open only their page, kernels stay with the
    browser that started them, and every answer carries the security headers."""

    max_kernels = Int(0, config=True, help="Most kernels (open pages) at once; 0: as many as fit in the free memory.")
    starts_per_browser = Int(
        web_gate.GateLimits.starts_per_browser, config=True, help="Pages (kernels) one browser may open in a minute."
    )
    starts_per_address = Int(
        web_gate.GateLimits.starts_per_address, config=True, help="Pages (kernels) one address may open in a minute."
    )
    sign_ins_per_address = Int(
        web_gate.GateLimits.sign_ins_per_address, config=True, help="Failed sign-ins from one address in 5 minutes."
    )
    fork_kernels = Bool(
        True, config=True, help="Fork each page's kernel from a process that has imported the workbooks already."
    )
    behind_proxy = Bool(
        False,
        config=True,
        help="Take each client's address and scheme from the proxy's X-Real-IP and X-Forwarded-Proto headers "
        "(cpmkit serve --workers); only where clients reach this server through that proxy alone, since "
        "anyone reaching it directly could forge them.",
    )

    def initialize(self, argv: Any = None) -> None:
        raise_open_files_limit()  # before the kernels' ZeroMQ context is sized on it
        super().initialize(argv)
        self.identity_provider_class = web_gate.GateIdentityProvider
        self.authorizer_class = web_gate.GateAuthorizer
        self.cookie_secret = web_gate.cookie_secret()
        self.voila_configuration.multi_kernel_manager_class = web_gate.BoundKernelManager
        self.voila_configuration.http_header_envs = [IDENTITY_HEADER, BASE_URL_HEADER]
        web_gate.install_preheat_binding()
        install_compiled_templates()
        limits = web_gate.GateLimits(
            max_kernels=self.max_kernels or web_gate.default_max_kernels(self.fork_kernels),
            starts_per_browser=self.starts_per_browser,
            starts_per_address=self.starts_per_address,
            sign_ins_per_address=self.sign_ins_per_address,
        )
        self.gate = web_gate.Gate.open(limits)
        web_gate.BoundKernelManager.kernel_count = KernelCountFile.create(
            limits.max_kernels, kernel_budget(self.fork_kernels)
        )

    def init_settings(self) -> dict[str, Any]:
        settings: dict[str, Any] = super().init_settings()  # makes the kernel manager
        if self.fork_kernels:
            self.kernel_manager.kernel_manager_class = f"{forking.__name__}.{forking.ForkingKernelManager.__name__}"
            forking.shared_zygote()  # it imports while the server starts
        settings["cpmkit_gate"] = self.gate
        settings["login_url"] = "/login"
        return settings

    def init_handlers(self) -> list[Any]:
        ours = [url(pattern, handler, self._handler_kwargs(handler)) for pattern, handler in web_gate.gate_handlers()]
        return ours + list(super().init_handlers())

    def _handler_kwargs(self, handler: type) -> dict[str, Any]:
        if issubclass(handler, web_gate.GatedVoilaHandler):
            return {
                "template_paths": self.template_paths,
                "config": self.config,
                "voila_configuration": self.voila_configuration,
            }
        return {}

    def listen(self) -> None:
        self.app.add_transform(web_gate.SecurityHeaders)
        print(web_gate.describe_start(self.gate, f"http://{self.ip}:{self.port}"), flush=True)
        if self.behind_proxy:  # the per-address limits then count clients, not the proxy
            self.app.listen = functools.partial(self.app.listen, xheaders=True)
        super().listen()  # runs the server until it stops


def main(argv: Sequence[str] | None = None) -> None:
    """Start Voila with ``argv`` (default: this process's arguments) and cpmkit's settings."""
    CpmkitVoila.launch_instance(list(sys.argv[1:] if argv is None else argv), tornado_settings=tornado_settings())


if __name__ == "__main__":
    main()
