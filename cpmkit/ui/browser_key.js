// Keeps one random key per name in the browser's localStorage, so a form opened again in the
// same browser (after closing the tab, days later) finds its earlier answers. The kernel
// reads the key from the model; a key the kernel sets (a fresh start) is stored in its place.
const fresh = () =>
  Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("");

function render({ model, el }) {
  el.style.display = "none";
  const name = model.get("name");
  const remember = (key) => {
    try {
      window.localStorage.setItem(name, key);
    } catch (error) {
      // Storage refused (private mode, policy): the key lasts as long as the page.
    }
  };
  let key = null;
  try {
    key = window.localStorage.getItem(name);
  } catch (error) {
    key = null;
  }
  if (!key) {
    key = fresh();
    remember(key);
  }
  model.on("change:key", () => remember(model.get("key")));
  if (model.get("key") !== key) {
    model.set("key", key);
    model.save_changes();
  }
}

export default { render };
