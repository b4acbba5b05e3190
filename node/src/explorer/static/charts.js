// Charts as hand-built SVG: no library, nothing fetched. Each chart is a <figure> with a caption, an SVG with
// role="img", a title and a description, and a legend; the numbers are also in a table beside it on each page.

import { h, s } from "./dom.js";
import { formatOpen, ratio, seqRange } from "./format.js";

/** The parts of a settlement, in the order they are drawn (DESIGN §6). */
export const PARTS = [
  { key: "burn", label: "Burned (protocol)", color: "#c92a2a" },
  { key: "node", label: "Node", color: "#1864ab" },
  { key: "owner", label: "Adapter owner", color: "#7048e8" },
  { key: "datasets", label: "Datasets pool", color: "#2b8a3e" },
];

let chartCount = 0;

function frame(id, caption, description, width, height, body, legendItems) {
  const titleId = `${id}-title`;
  const descId = `${id}-desc`;
  return h(
    "figure",
    { id, "data-chart": id },
    h("figcaption", { id: `${id}-caption` }, caption),
    s(
      "svg",
      {
        class: "chart",
        viewBox: `0 0 ${width} ${height}`,
        role: "img",
        "aria-labelledby": `${titleId} ${descId}`,
        preserveAspectRatio: "xMinYMin meet",
      },
      s("title", { id: titleId }, caption),
      s("desc", { id: descId }, description),
      s("rect", { x: 0, y: 0, width, height, fill: "#ffffff" }),
      body,
    ),
    h(
      "ul",
      { class: "legend" },
      legendItems.map((item) =>
        h("li", {}, h("span", { class: `swatch ${item.key}`, "aria-hidden": "true" }), item.label),
      ),
    ),
  );
}

function stack(parts, x, y, length, thickness, horizontal, max) {
  let offset = 0;
  return PARTS.map((p) => {
    const amount = parts[p.key] ?? "0";
    const size = ratio(amount, max) * length;
    const rect = horizontal
      ? s("rect", { x: x + offset, y, width: size.toFixed(2), height: thickness, fill: p.color })
      : s("rect", { x, y: (y - offset - size).toFixed(2), width: thickness, height: size.toFixed(2), fill: p.color });
    rect.setAttribute("class", `part part-${p.key}`);
    rect.setAttribute("data-part", p.key);
    rect.setAttribute("data-amount", amount);
    rect.append(s("title", {}, `${p.label}: ${formatOpen(amount)}`));
    offset += size;
    return rect;
  });
}

function maxOf(values) {
  return values.reduce((m, v) => (BigInt(v) > m ? BigInt(v) : m), 0n);
}

/** One horizontal bar per redemption, split into burn, node, owner and datasets. */
export function moneyFlowByRedemption(redemptions) {
  const id = `chart-${++chartCount}`;
  const width = 760;
  const row = 26;
  const left = 190;
  const barLength = width - left - 20;
  const height = Math.max(1, redemptions.length) * row + 30;
  const max = maxOf(redemptions.map((r) => r.collected));
  const rows = redemptions.map((r, i) => {
    const y = 10 + i * row;
    return s(
      "g",
      { class: "flow", "data-collected": r.collected, "data-index": i },
      s("text", { x: 6, y: y + 15 }, `v${r.versionId} lane ${r.lane}, ${seqRange(r)}`),
      stack(r.parts, left, y, barLength, row - 8, true, max),
      s("title", {}, `Collected ${formatOpen(r.collected)} in epoch ${r.epoch}`),
    );
  });
  return frame(
    id,
    "Money flow per redemption",
    `Each bar is one redemption; its four parts (burned, node, adapter owner, datasets pool) sum to what it collected. Largest: ${formatOpen(max.toString())}.`,
    width,
    height,
    rows,
    PARTS,
  );
}

/** One vertical stacked bar per epoch. */
export function moneyFlowByEpoch(epochs) {
  const id = `chart-${++chartCount}`;
  const width = 760;
  const height = 260;
  const bottom = 225;
  const plot = 190;
  const max = maxOf(epochs.map((e) => e.revenue));
  const step = Math.min(120, (width - 60) / Math.max(1, epochs.length));
  const bars = epochs.map((e, i) => {
    const x = 50 + i * step;
    return s(
      "g",
      { class: "flow", "data-collected": e.revenue, "data-epoch": e.epoch },
      stack(e.parts, x, bottom, plot, step * 0.6, false, max),
      s("text", { x, y: bottom + 16 }, `epoch ${e.epoch}`),
    );
  });
  return frame(
    id,
    "Money flow per epoch",
    `Each bar is one epoch's collections over every node and version, split into burned, node, adapter owner and datasets pool. Largest: ${formatOpen(max.toString())}.`,
    width,
    height,
    [s("line", { x1: 40, y1: bottom, x2: width - 10, y2: bottom, stroke: "#adb5bd" }), bars],
    PARTS,
  );
}

/** Revenue per epoch as bars, inferences per epoch as a line on its own scale. */
export function volumeChart(epochs) {
  const id = `chart-${++chartCount}`;
  const width = 760;
  const height = 260;
  const bottom = 220;
  const plot = 180;
  const maxRevenue = maxOf(epochs.map((e) => e.revenue));
  const maxInferences = maxOf(epochs.map((e) => e.inferences));
  const step = Math.min(120, (width - 100) / Math.max(1, epochs.length));
  const points = [];
  const bars = epochs.map((e, i) => {
    const x = 60 + i * step;
    const barHeight = ratio(e.revenue, maxRevenue) * plot;
    const cy = bottom - ratio(e.inferences, maxInferences) * plot;
    points.push(`${(x + step * 0.3).toFixed(1)},${cy.toFixed(1)}`);
    return s(
      "g",
      { "data-epoch": e.epoch, "data-revenue": e.revenue, "data-inferences": e.inferences },
      s(
        "rect",
        {
          class: "revenue",
          x,
          y: (bottom - barHeight).toFixed(2),
          width: step * 0.6,
          height: barHeight.toFixed(2),
          fill: "#0b5cad",
        },
        s("title", {}, `Epoch ${e.epoch}: ${formatOpen(e.revenue)} collected, ${e.inferences} inferences`),
      ),
      s("circle", { cx: (x + step * 0.3).toFixed(1), cy: cy.toFixed(1), r: 4, fill: "#e8590c" }),
      s("text", { x, y: bottom + 16 }, `epoch ${e.epoch}`),
    );
  });
  return frame(
    id,
    "Inference volume and revenue per epoch",
    `Bars: OPEN collected per epoch (largest ${formatOpen(maxRevenue.toString())}). Line: inferences paid for per epoch (largest ${maxInferences}).`,
    width,
    height,
    [
      s("line", { x1: 50, y1: bottom, x2: width - 10, y2: bottom, stroke: "#adb5bd" }),
      s("text", { x: 4, y: bottom - plot + 4 }, formatOpen(maxRevenue.toString(), 2)),
      s("text", { x: width - 120, y: bottom - plot - 8 }, `${maxInferences} inferences`),
      bars,
      points.length > 1
        ? s("polyline", { points: points.join(" "), fill: "none", stroke: "#e8590c", "stroke-width": 2 })
        : null,
    ],
    [
      { key: "revenue", label: "Revenue (OPEN collected)" },
      { key: "inferences", label: "Inferences" },
    ],
  );
}
