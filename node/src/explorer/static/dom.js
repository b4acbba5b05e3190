// Builds DOM without markup: every string becomes a text node, so nothing read from the chain or the store (dataset
// URIs, output texts) is ever parsed as HTML (a unit test scans the app for the APIs that would).

const SVG_NS = "http://www.w3.org/2000/svg";

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    // Handlers are attached with addEventListener by the app, never as attributes built from data.
    if (/^on/i.test(name)) throw new Error(`refusing event-handler attribute ${name}`);
    if ((name === "href" || name === "src") && !/^(#|\.\/|api\/)/.test(String(value))) {
      throw new Error(`refusing ${name} outside the app: ${String(value).slice(0, 40)}`);
    }
    el.setAttribute(name, value === true ? "" : String(value));
  }
}

function appendChildren(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** An HTML element: h("td", { class: "num" }, "12"). */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  appendChildren(el, children);
  return el;
}

/** An SVG element. */
export function s(tag, attrs, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  appendChildren(el, children);
  return el;
}

/** A table with a caption, header cells and rows of cells (strings or nodes); `num` marks numeric columns. */
export function table(caption, columns, rows) {
  const numeric = new Set(columns.flatMap((c, i) => (c.num ? [i] : [])));
  return h(
    "table",
    {},
    h("caption", {}, caption),
    h(
      "thead",
      {},
      h(
        "tr",
        {},
        columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : undefined }, c.label)),
      ),
    ),
    h(
      "tbody",
      {},
      rows.length === 0
        ? h("tr", {}, h("td", { colspan: columns.length, class: "meta" }, "None yet."))
        : rows.map((row) =>
            h(
              "tr",
              {},
              row.map((cell, i) => h("td", { class: numeric.has(i) ? "num" : undefined }, cell)),
            ),
          ),
    ),
  );
}
