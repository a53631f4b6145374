// Drag and drop, with a mouse, of the cards drawn around this widget (elements with
// data-card="<id>" inside the nearest `scope` ancestor): a card dropped onto another is put
// under it; a grouped card dropped onto its own column comes out of its group. Only the ids in
// `cards` move, and only on a screen at least 600 px wide: touch screens, keyboards and screen
// readers use the form beside it. The cards' markup is the page's own (escaped there): this
// module reads only their ids and writes no text but its hint, as textContent.
const WIDE = "(min-width: 600px)";
const TYPE = "application/x-cpmkit-card"; // not text/plain: a card dropped on a text box types nothing
const TARGET = "cpmkit-card-drop-target";

function render({ model, el }) {
  const hint = document.createElement("p");
  hint.className = "cpmkit-help cpmkit-card-drag-hint";
  hint.textContent = model.get("hint");
  el.appendChild(hint);
  model.on("change:hint", () => {
    hint.textContent = model.get("hint");
  });

  let dragged = null; // {id, column, grouped} of the card being dragged
  let marked = null; // the card or column shown as where a drop would land

  const area = () => el.closest(model.get("scope"));
  const movable = (node) => {
    const card = node instanceof Element ? node.closest("[data-card]") : null;
    const inside = card !== null && area()?.contains(card);
    return inside && model.get("cards").includes(Number(card.dataset.card)) ? card : null;
  };
  const mark = (node) => {
    if (marked === node) return;
    marked?.classList.remove(TARGET);
    marked = node;
    marked?.classList.add(TARGET);
  };
  // Where a drop on `node` lands: another card, or the dragged grouped card's own column.
  const landing = (node) => {
    const card = movable(node);
    if (card !== null) return Number(card.dataset.card) === dragged.id ? null : card;
    const column = node instanceof Element ? node.closest(model.get("column")) : null;
    return dragged.grouped && column !== null && column === dragged.column ? column : null;
  };

  const handlers = {
    pointerover(event) {
      const card = movable(event.target);
      if (card !== null && window.matchMedia(WIDE).matches) card.draggable = true;
    },
    dragstart(event) {
      const card = movable(event.target);
      if (card === null || !window.matchMedia(WIDE).matches) return;
      const id = Number(card.dataset.card);
      dragged = { id, column: card.closest(model.get("column")), grouped: card.matches(model.get("grouped")) };
      event.dataTransfer.setData(TYPE, String(id));
      event.dataTransfer.effectAllowed = "move";
    },
    dragover(event) {
      if (dragged === null) return;
      const target = landing(event.target);
      mark(target);
      if (target !== null) {
        event.preventDefault(); // a drop is allowed here
        event.dataTransfer.dropEffect = "move";
      }
    },
    drop(event) {
      if (dragged === null) return;
      const target = landing(event.target);
      if (target !== null) {
        event.preventDefault();
        const under = target.dataset.card;
        model.send(under === undefined ? { ungroup: dragged.id } : { group: [dragged.id, Number(under)] });
      }
      mark(null);
      dragged = null;
    },
    dragend() {
      mark(null);
      dragged = null;
    },
  };
  for (const [name, handler] of Object.entries(handlers)) document.addEventListener(name, handler);
  return () => {
    for (const [name, handler] of Object.entries(handlers)) document.removeEventListener(name, handler);
  };
}

export default { render };
