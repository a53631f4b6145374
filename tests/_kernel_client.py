"""A small Jupyter kernel-protocol client that talks to a Voila page's kernel as its browser
does: over the websocket ``/api/kernels/<id>/channels``, with the cookies the page set.

For tests that send what a page would never send (crafted comm messages) and check what the
kernel answers::

    page = open_page(server.url("02_soft_skills.ipynb", code=code))
    with KernelSocket(page) as kernel:
        states = kernel.widget_states()                 # {comm id: state}, from the kernel
        seen = kernel.comm_msg(comm_id, {"method": "update", "state": {"index": 999}})
        assert not [leak for message in seen for leak in leaks(message)]

``leaks(message)`` lists what in a message would tell the browser about the server's code:
traceback frames, file paths, Python source file names.
"""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import json
import re
import time
import urllib.request
import uuid
from dataclasses import dataclass
from typing import Any, Self
from urllib.parse import urlsplit

import websocket  # websocket-client, a dependency of jupyter_server
from jupyter_server.services.kernels.connection.base import deserialize_msg_from_ws_v1, serialize_msg_to_ws_v1

__all__ = ["KernelPage", "KernelSocket", "leaks", "open_page"]

#: Seconds a request waits for its reply (and for the kernel to go idle after it).
REPLY_TIMEOUT = 30
#: Seconds the page itself may take: Voila runs the notebook before it sends the page's end.
PAGE_TIMEOUT = 120
PROTOCOL_VERSION = "5.3"
#: The version of ipywidgets' control comm (``jupyter.widget.control``) this client speaks, as Voila's front end does.
CONTROL_PROTOCOL_VERSION = "1.0.0"
#: The websocket subprotocol Voila's front end (JupyterLab's services) asks for.
WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"

_CONFIG = re.compile(r'<script id="jupyter-config-data" type="application/json">\s*(\{.*?\})\s*</script>', re.DOTALL)

#: What must never reach a browser: traceback frames, file paths, Python file names.
LEAK_PATTERNS = {
    "a traceback": re.compile(r"Traceback \(most recent call last\)"),
    "a traceback frame": re.compile(r'File "[^"]+", line \d+'),
    "a Python file name": re.compile(r'\.py[:"\'\s,)]|\.py$'),
    "a package path": re.compile(r"site-packages|dist-packages|/\.venv/|/lib/python3"),
    "an IPython cell file": re.compile(r"/tmp/ipykernel_\d+/"),
}


@dataclass
class KernelPage:
    """A rendered Voila page: where it came from, its kernel, and its browser's cookies."""

    url: str
    html: str
    kernel_id: str
    cookies: http.cookiejar.CookieJar

    @property
    def channels_url(self) -> str:
        parts = urlsplit(self.url)
        scheme = "wss" if parts.scheme == "https" else "ws"
        return f"{scheme}://{parts.netloc}/api/kernels/{self.kernel_id}/channels?session_id={uuid.uuid4().hex}"

    def cookie_header(self) -> str:
        return "; ".join(f"{cookie.name}={cookie.value}" for cookie in self.cookies)


def open_page(
    url: str, *, cookies: http.cookiejar.CookieJar | None = None, timeout: float = PAGE_TIMEOUT
) -> KernelPage:
    """GET a Voila page (its kernel runs the notebook meanwhile) and read its kernel id."""
    jar = cookies if cookies is not None else http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    with opener.open(url, timeout=timeout) as response:
        html = response.read().decode("utf-8", errors="replace")
    found = _CONFIG.search(html)
    if found is None:
        raise AssertionError(f"{url} has no jupyter-config-data (no kernel?); it ends with {html[-500:]!r}")
    return KernelPage(url=url, html=html, kernel_id=json.loads(found.group(1))["kernelId"], cookies=jar)


def leaks(message: dict[str, Any]) -> list[str]:
    """What in ``message`` (any channel) would show the browser the server's code."""
    found = []
    content = message.get("content", {})
    if isinstance(content, dict) and content.get("traceback"):
        found.append(f"{message.get('msg_type')} message with a traceback")
    text = json.dumps(message.get("content", {}))
    found += [
        f"{message.get('msg_type')} message with {what}: {text[:300]}"
        for what, pattern in LEAK_PATTERNS.items()
        if pattern.search(text)
    ]
    return found


class KernelSocket:
    """One websocket connection to a page's kernel, in the protocol Voila's front end asks for
    (``v1.kernel.websocket.jupyter.org``: the server relays the kernel's frames as they are,
    where the legacy JSON protocol would make it parse and re-encode every message)."""

    def __init__(self, page: KernelPage, *, timeout: float = REPLY_TIMEOUT) -> None:
        self.page = page
        self.session = uuid.uuid4().hex
        self.timeout = timeout
        origin = "{0.scheme}://{0.netloc}".format(urlsplit(page.url))
        headers = [f"Cookie: {page.cookie_header()}"] if page.cookie_header() else []
        self.socket = websocket.create_connection(
            page.channels_url, timeout=timeout, origin=origin, header=headers, subprotocols=[WS_PROTOCOL]
        )
        if self.socket.getsubprotocol() != WS_PROTOCOL:
            raise AssertionError(f"the server did not take the {WS_PROTOCOL} protocol")
        #: Every message received, in order.
        self.received: list[dict[str, Any]] = []

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.socket.close()

    # -- sending and receiving -----------------------------------------------------------------

    def send(
        self, channel: str, msg_type: str, content: dict[str, Any], *, metadata: dict[str, Any] | None = None
    ) -> str:
        """Send one message; return its msg_id."""
        msg_id = uuid.uuid4().hex
        header = {
            "msg_id": msg_id,
            "msg_type": msg_type,
            "username": "test",
            "session": self.session,
            "date": dt.datetime.now(dt.UTC).isoformat(),
            "version": PROTOCOL_VERSION,
        }
        parts = [header, {}, metadata or {}, content]
        self.socket.send_binary(serialize_msg_to_ws_v1([json.dumps(part).encode() for part in parts], channel))
        return msg_id

    def receive(self, timeout: float) -> dict[str, Any] | None:
        """The next message, or None when none came within ``timeout`` seconds."""
        self.socket.settimeout(max(timeout, 0.01))
        try:
            opcode, data = self.socket.recv_data()
        except websocket.WebSocketTimeoutException:
            return None
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            raise AssertionError("the server closed the kernel's websocket")
        message = _decode(data)
        self.received.append(message)
        return message

    def request(
        self, channel: str, msg_type: str, content: dict[str, Any], *, reply_channel: str | None = None
    ) -> list[dict[str, Any]]:
        """Send a request and return every message received until the kernel has replied and
        gone idle after it (the reply included; iopub messages of other requests too)."""
        msg_id = self.send(channel, msg_type, content)
        return self._until_done(msg_id, reply_channel or channel, needs_reply=True)

    def comm_msg(self, comm_id: str, data: dict[str, Any]) -> list[dict[str, Any]]:
        """Send a comm message (no reply exists) and return what came until the kernel was idle."""
        msg_id = self.send("shell", "comm_msg", {"comm_id": comm_id, "data": data})
        return self._until_done(msg_id, "shell", needs_reply=False)

    def comm_open(
        self,
        target_name: str,
        data: dict[str, Any],
        *,
        comm_id: str | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> list[dict[str, Any]]:
        """Open a comm from this side (``comm_id``: to send on it later; ``metadata``: e.g. the
        protocol version a widget target checks) and return what came until the kernel was idle."""
        msg_id = self.send(
            "shell",
            "comm_open",
            {"comm_id": comm_id or uuid.uuid4().hex, "target_name": target_name, "data": data},
            metadata=metadata,
        )
        return self._until_done(msg_id, "shell", needs_reply=False)

    def _until_done(self, msg_id: str, reply_channel: str, *, needs_reply: bool) -> list[dict[str, Any]]:
        seen: list[dict[str, Any]] = []
        replied, idle = not needs_reply, False
        deadline = time.monotonic() + self.timeout
        while not (replied and idle):
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(
                    f"no {'reply and ' if needs_reply else ''}idle status for {msg_id} within {self.timeout} s"
                )
            message = self.receive(remaining)
            if message is None:
                continue
            seen.append(message)
            if message.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            if message.get("channel") == reply_channel and message["msg_type"].endswith("_reply"):
                replied = True
            if message["msg_type"] == "status" and message["content"].get("execution_state") == "idle":
                idle = True
        return seen

    # -- widgets -------------------------------------------------------------------------------

    def widget_states(self) -> dict[str, dict[str, Any]]:
        """``{comm id: state}`` of every widget the kernel holds, as the kernel sends them on
        ``request_state``."""
        replies = self.request("shell", "comm_info_request", {"target_name": "jupyter.widget"})
        info = next(m for m in replies if m["msg_type"] == "comm_info_reply")
        states: dict[str, dict[str, Any]] = {}
        for comm_id in info["content"]["comms"]:
            for message in self.comm_msg(comm_id, {"method": "request_state"}):
                data = message.get("content", {}).get("data", {})
                if (
                    message["msg_type"] == "comm_msg"
                    and message["content"].get("comm_id") == comm_id
                    and "state" in data
                ):
                    states[comm_id] = {**states.get(comm_id, {}), **data["state"]}
        return states

    def all_widget_states(self) -> dict[str, dict[str, Any]]:
        """``{model id: state}`` of every widget, in one request as Voila's front end asks for
        them (ipywidgets' ``jupyter.widget.control`` comm), not one request per widget."""
        control = uuid.uuid4().hex
        self.comm_open("jupyter.widget.control", {}, comm_id=control, metadata={"version": CONTROL_PROTOCOL_VERSION})
        for message in self.comm_msg(control, {"method": "request_states"}):
            data = message.get("content", {}).get("data", {})
            if message["msg_type"] == "comm_msg" and data.get("method") == "update_states":
                return {model: dict(entry["state"]) for model, entry in data["states"].items()}
        raise AssertionError("the kernel sent no widget states on request_states")


def _decode(data: bytes) -> dict[str, Any]:
    """A message from its v1 frame: its channel, then header, parent header, metadata, content
    and buffers."""
    channel, parts = deserialize_msg_from_ws_v1(data)
    header, parent, metadata, content = (json.loads(part) for part in parts[:4])
    return {
        "channel": channel,
        "header": header,
        "msg_type": header.get("msg_type"),
        "parent_header": parent,
        "metadata": metadata,
        "content": content,
        "buffers": parts[4:],
    }
