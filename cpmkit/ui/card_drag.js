// Drag and drop, with a mouse, of the cards drawn around this widget (elements with
// data-card="<id>" inside the nearest `scope` ancestor): a card dropped onto another is put
// under it; a grouped card dropped onto its own column comes out of its group. Only the ids in
// `cards` move, and only where `screen` (a media query: wider than a phone, with a mouse or a
// touchpad) matches: touch screens, keyboards and screen readers use the form beside it. The
// cards' markup is the page's own (escaped there): this module reads only their ids and writes
// no text but its hint, as textContent.
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

  let dragged = null; // {id, column, group, grouped} of the card being dragged (set by its dragstart)
  let marked = null; // the card or column shown as where a drop would land

  const area = () => el.closest(model.get("scope"));
  // The element an event is on: Firefox may report the text node under the mouse.
  const element = (node) => (node instanceof Element ? node : (node?.parentElement ?? null));
  const cardOf = (node) => {
    const card = element(node)?.closest("[data-card]") ?? null;
    return card !== null && area()?.contains(card) ? card : null;
  };
  const offered = (card) => model.get("cards").includes(Number(card.dataset.card));
  const mouseScreen = () => window.matchMedia(model.get("screen")).matches;
  const carriesCard = (event) => dragged !== null && Array.from(event.dataTransfer?.types ?? []).includes(TYPE);
  const mark = (node) => {
    if (marked === node) return;
    marked?.classList.remove(TARGET);
    marked = node;
    marked?.classList.add(TARGET);
  };
  // Where a drop on `node` lands: a card of another group, or the dragged grouped card's own column.
  const landing = (node) => {
    const card = cardOf(node);
    if (card !== null) {
      const own = Number(card.dataset.card) === dragged.id || card.closest(model.get("group")) === dragged.group;
      return offered(card) && !own ? card : null;
    }
    const column = element(node)?.closest(model.get("column")) ?? null;
    return dragged.grouped && column !== null && column === dragged.column ? column : null;
  };

  const handlers = {
    pointerover(event) {
      const card = cardOf(event.target);
      if (card !== null) card.draggable = offered(card) && mouseScreen();
    },
    dragstart(event) {
      mark(null);
      dragged = null; // a drag whose card was redrawn never got its dragend
      const card = cardOf(event.target);
      if (card === null) return; // not a card: not this widget's drag
      if (!offered(card) || !mouseScreen()) {
        event.preventDefault();
        return;
      }
      const id = Number(card.dataset.card);
      dragged = {
        id,
        column: card.closest(model.get("column")),
        group: card.closest(model.get("group")) ?? undefined, // never equal to another card's null
        grouped: card.matches(model.get("grouped")),
      };
      event.dataTransfer.setData(TYPE, String(id));
      event.dataTransfer.effectAllowed = "move";
    },
    dragover(event) {
      if (!carriesCard(event)) return;
      const target = landing(event.target);
      mark(target);
      if (target !== null) {
        event.preventDefault(); // a drop is allowed here
        event.dataTransfer.dropEffect = "move";
      }
    },
    drop(event) {
      if (!carriesCard(event)) return;
      const target = landing(event.target);
      const id = Number(event.dataTransfer.getData(TYPE));
      if (target !== null && Number.isInteger(id) && id > 0) {
        event.preventDefault();
        const under = target.dataset.card;
        model.send(under === undefined ? { ungroup: id } : { group: [id, Number(under)] });
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
