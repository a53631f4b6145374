// A button that copies one text (a link) to the clipboard, offline. navigator.clipboard needs a
// secure context (https or localhost); a page opened at a LAN address over http is not one,
// so the text is then selected in a hidden text area and copied with execCommand.
function copyBySelection(text) {
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.appendChild(area);
  area.select();
  let copied = false;
  try {
    copied = document.execCommand("copy");
  } catch (error) {
    copied = false;
  }
  area.remove();
  return copied;
}

function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "cpmkit-copy jupyter-button";
  const label = () => model.get("label");
  button.textContent = label();
  button.setAttribute("aria-label", `${label()}: ${model.get("text")}`);
  const say = (words) => {
    button.textContent = words;
    setTimeout(() => {
      button.textContent = label();
    }, 2000);
  };
  button.addEventListener("click", async () => {
    const text = model.get("text");
    try {
      if (!window.isSecureContext || !navigator.clipboard) throw new Error("no clipboard API");
      await navigator.clipboard.writeText(text);
      say("Copied");
    } catch (error) {
      say(copyBySelection(text) ? "Copied" : "Select the link and copy it");
    }
  });
  model.on("change:text", () => button.setAttribute("aria-label", `${label()}: ${model.get("text")}`));
  el.appendChild(button);
}

export default { render };
