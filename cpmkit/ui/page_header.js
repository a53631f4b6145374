// The browser tab's title, and a page's introduction: open on the first visit, folded behind
// "How this works" after it (remembered per page in this browser; shown open where the
// browser keeps nothing). Text only: the title is set as text, never as markup.
const SEEN = "cpmkit-intro-seen:";

function firstVisit(page) {
  try {
    const seen = window.localStorage.getItem(SEEN + page) === "1";
    window.localStorage.setItem(SEEN + page, "1");
    return !seen;
  } catch (error) {
    return true;
  }
}

function render({ model, el }) {
  const setTitle = () => {
    const title = model.get("title");
    if (title) document.title = title;
  };
  setTitle();
  model.on("change:title", setTitle);
  const intro = model.get("intro_html");
  if (!intro) return;
  const details = document.createElement("details");
  details.className = "cpmkit-intro";
  details.open = firstVisit(model.get("page"));
  const summary = document.createElement("summary");
  summary.textContent = "How this works";
  const body = document.createElement("div");
  body.className = "cpmkit-intro-body";
  body.innerHTML = intro; // the page's introduction from notebooks.yaml, the site's own Markdown
  details.append(summary, body);
  el.appendChild(details);
}

export default { render };
