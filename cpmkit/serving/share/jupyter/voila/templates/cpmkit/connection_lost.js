// Every answer is saved by the page's kernel. When the kernel dies or is restarted blank, or
// the websocket to it drops, a click could no longer be saved: say so at once, and take no
// more input. Included inline in <head> by index.html.j2 (no request, CSP 'unsafe-inline').
//
// Voila's widget manager keeps the page's kernel connection (@jupyterlab/services'
// KernelConnection) at window.jupyterapp.widgetManager.kernel; its statusChanged signal says
// "autorestarting"/"restarting"/"dead" when the server restarts or loses the kernel, and
// connectionStatusChanged leaves "connected" when the websocket drops.
(function () {
  "use strict";
  var MESSAGE = "Connection lost: your saved answers are safe. Reload the page to continue.";
  var LOST_STATUSES = ["autorestarting", "restarting", "terminating", "dead"];
  // Not touch or wheel events: a tap still ends in a click (stopped), and scrolling is harmless.
  var INPUT_EVENTS = ["click", "dblclick", "mousedown", "mouseup", "pointerdown", "pointerup",
    "keydown", "keypress", "keyup", "beforeinput", "input", "change", "paste", "drop", "submit"];
  var POLL_MS = 100;
  var lost = false;
  var leaving = false;
  var overlay = null;

  // A reload or a closed tab also closes the websocket (Voila disposes the kernel connection
  // on beforeunload): that is not a lost connection. A beforeunload that did not lead to an
  // unload (a download link) must not silence the banner for good, hence the timer.
  var LEAVING_MS = 3000;
  window.addEventListener("beforeunload", function () {
    leaving = true;
    window.setTimeout(function () { leaving = false; }, LEAVING_MS);
  });
  window.addEventListener("pagehide", function () { leaving = true; });

  function disableInputs() {
    var cells = document.getElementById("rendered_cells");
    if (!cells) { return; }
    cells.setAttribute("inert", "");
    cells.setAttribute("aria-hidden", "true");
    var controls = cells.querySelectorAll("input, button, select, textarea");
    for (var i = 0; i < controls.length; i++) { controls[i].disabled = true; }
  }

  function showLost(reason) {
    if (lost || leaving) { return; }
    lost = true;
    document.documentElement.setAttribute("data-cpmkit-connection", "lost");
    if (document.activeElement && document.activeElement.blur) { document.activeElement.blur(); }
    disableInputs();
    overlay = document.createElement("div");
    overlay.className = "cpmkit-connection-lost";
    overlay.setAttribute("data-reason", reason);
    var banner = document.createElement("div");
    banner.className = "cpmkit-connection-banner";
    banner.setAttribute("role", "alert");
    var text = document.createElement("p");
    text.textContent = MESSAGE;
    var reload = document.createElement("button");
    reload.type = "button";
    reload.textContent = "Reload the page";
    reload.addEventListener("click", function () { window.location.reload(); });
    banner.appendChild(text);
    banner.appendChild(reload);
    overlay.appendChild(banner);
    document.body.appendChild(overlay);
    reload.focus();
    // Widgets drawn later (a message arriving late) are disabled too.
    new MutationObserver(disableInputs).observe(document.getElementById("rendered_cells") || document.body,
      { childList: true, subtree: true });
    console.warn("cpmkit: connection to the kernel lost (" + reason + "); input stopped");
  }

  // Nothing reaches the app once the connection is lost: every input event is stopped before
  // the widgets see it (capture phase on window), except on the banner's own button.
  INPUT_EVENTS.forEach(function (type) {
    window.addEventListener(type, function (event) {
      if (lost && !(overlay && overlay.contains(event.target))) {
        event.stopImmediatePropagation();
        event.preventDefault();
      }
    }, true);
  });

  function watch(kernel) {
    var connected = kernel.connectionStatus === "connected";
    if (LOST_STATUSES.indexOf(kernel.status) >= 0) { showLost("kernel " + kernel.status); }
    kernel.statusChanged.connect(function (_sender, status) {
      if (LOST_STATUSES.indexOf(status) >= 0) { showLost("kernel " + status); }
    });
    kernel.connectionStatusChanged.connect(function (_sender, status) {
      if (status === "connected") { connected = true; }
      // The first "connecting" is the page connecting; any later one is a drop.
      else if (connected || status === "disconnected") { showLost("websocket " + status); }
    });
    kernel.disposed.connect(function () { showLost("kernel connection closed"); });
  }

  var timer = window.setInterval(function () {
    var app = window.jupyterapp;
    var kernel = app && app.widgetManager && app.widgetManager.kernel;
    if (kernel && kernel.statusChanged && kernel.connectionStatusChanged) {
      window.clearInterval(timer);
      watch(kernel);
    }
  }, POLL_MS);
})();
