// Rating scales say to a screen reader what they are. ipywidgets draws ToggleButtons as plain
// buttons (the chosen one only has the class mod-active) and RadioButtons as radio inputs with
// no shared name and no group. Here, for every one on the page, now and as widgets redraw:
// - a ToggleButtons row is a named group, and each button says whether it is pressed
//   (aria-pressed follows mod-active);
// - a RadioButtons box is a named radiogroup whose inputs share one name, so arrow keys move
//   between them.
// The group's name is the widget's own description label (shown, or visually hidden with
// cpmkit.ui.widgets.named). Included inline in <head> by index.html.j2 (no request).
(function () {
  "use strict";
  var groups = 0;

  function nameFrom(widget, group) {
    var label = widget.querySelector(":scope > .widget-label");
    if (!label || !label.textContent.trim()) { return; }
    if (!label.id) { label.id = "cpmkit-group-label-" + (++groups); }
    group.setAttribute("aria-labelledby", label.id);
  }

  function toggleButtons(widget) {
    var buttons = widget.querySelectorAll("button.widget-toggle-button");
    if (!buttons.length) { return; }
    var row = buttons[0].parentElement;
    if (row.getAttribute("role") !== "group") {
      row.setAttribute("role", "group");
      nameFrom(widget, row);
    }
    for (var i = 0; i < buttons.length; i++) {
      var pressed = buttons[i].classList.contains("mod-active") ? "true" : "false";
      if (buttons[i].getAttribute("aria-pressed") !== pressed) { buttons[i].setAttribute("aria-pressed", pressed); }
    }
  }

  function radioButtons(widget) {
    var box = widget.querySelector(".widget-radio-box");
    if (!box) { return; }
    if (box.getAttribute("role") !== "radiogroup") {
      box.setAttribute("role", "radiogroup");
      nameFrom(widget, box);
      box.setAttribute("data-cpmkit-group", "cpmkit-radio-" + (++groups));
    }
    var inputs = box.querySelectorAll("input[type=radio]");
    for (var i = 0; i < inputs.length; i++) {
      if (inputs[i].name !== box.getAttribute("data-cpmkit-group")) { inputs[i].name = box.getAttribute("data-cpmkit-group"); }
    }
  }

  var pending = false;
  function update() {
    pending = false;
    document.querySelectorAll(".widget-toggle-buttons").forEach(toggleButtons);
    document.querySelectorAll(".widget-radio").forEach(radioButtons);
  }
  function schedule() {
    if (!pending) { pending = true; window.requestAnimationFrame(update); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    new MutationObserver(schedule).observe(document.body, {
      childList: true, subtree: true, attributes: true, attributeFilter: ["class"],
    });
    schedule();
  });
})();
