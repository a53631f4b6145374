// Renders one Vega-Lite spec with the Vega libraries bundled into this module, so a chart
// needs no network. vl-convert's javascript_bundle() resolves `vegaEmbed` at bundle time.
async function render({ model, el }) {
  el.classList.add("cpmkit-chart");
  let view = null;
  const draw = async () => {
    if (view) {
      view.finalize();
      view = null;
    }
    el.replaceChildren();
    const spec = model.get("spec");
    if (!spec || Object.keys(spec).length === 0) {
      return;
    }
    try {
      const result = await vegaEmbed(el, structuredClone(spec), { actions: false, renderer: "svg" });
      view = result.view;
      el.dataset.drawn = "true";
    } catch (error) {
      el.textContent = "This chart could not be drawn: " + error.message;
    }
  };
  model.on("change:spec", draw);
  await draw();
  return () => {
    if (view) {
      view.finalize();
    }
  };
}
export default { render };
