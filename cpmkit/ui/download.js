// A button that downloads a file the kernel makes when it is clicked: the page asks, the kernel
// answers with the file's bytes (one binary buffer) and its name, and the page saves them from
// a blob: URL. Offline, one click; what went wrong is said next to the button, for every reader.
function save(buffer, filename, mime) {
  const url = URL.createObjectURL(new Blob([buffer], { type: mime }));
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.style.display = "none";
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
}

function render({ model, el }) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "cpmkit-download-button jupyter-button";
  const status = document.createElement("span");
  status.className = "cpmkit-download-status";
  status.setAttribute("role", "status");
  const label = () => model.get("label");
  button.textContent = label();
  const done = () => {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label();
  };
  button.addEventListener("click", () => {
    button.disabled = true;
    button.setAttribute("aria-busy", "true");
    button.textContent = "Preparing…";
    status.textContent = "";
    status.classList.remove("cpmkit-download-failed");
    model.send({ download: true });
  });
  model.on("msg:custom", (message, buffers) => {
    done();
    if (message.failed !== undefined) {
      status.textContent = message.failed;
      status.classList.add("cpmkit-download-failed");
    } else if (buffers && buffers.length) {
      save(buffers[0], message.filename, message.mime);
    }
  });
  model.on("change:label", () => {
    if (!button.disabled) button.textContent = label();
  });
  el.append(button, status);
}

export default { render };
