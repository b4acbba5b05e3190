// The explorer app: one page per section, chosen by the URL's hash (#/datasets, #/inference/0x…). Reads the node's
// JSON API under ./api/; builds the DOM with dom.js only (text stays text).

import { moneyFlowByEpoch, moneyFlowByRedemption, PARTS, volumeChart } from "./charts.js";
import { h, table } from "./dom.js";
import { formatBps, formatOpen, formatPpm, formatTime, seqRange, shortHex } from "./format.js";

const TITLES = {
  overview: "Overview",
  datasets: "Datanets and datasets",
  adapters: "Adapters",
  settlements: "Settlements",
  attribution: "Attribution",
  inference: "Inference",
  challenges: "Challenges",
};

async function api(path) {
  const response = await fetch(`api/${path}`, { headers: { accept: "application/json" } });
  const body = await response.json();
  if (!response.ok) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

const hash = (value, keep) => h("code", { class: "hash", title: value }, shortHex(value, keep));
const amount = (wei) => h("span", { title: `${wei} wei` }, formatOpen(wei));
const status = (name) => h("span", { class: `status status-${name}` }, name);
const yesNo = (flag) => h("span", { class: `status status-${flag ? "yes" : "no"}` }, flag ? "yes" : "no");
const link = (href, text) => h("a", { href }, text);
const datasetLabel = (id, byId) => {
  const d = byId.get(String(id));
  return [`#${id} `, d ? h("code", {}, d.uri) : null];
};
const blockLine = (body) => h("p", { class: "meta" }, `As of block ${body.blockNumber}.`);

async function overview() {
  const o = await api("overview");
  const t = o.totals;
  const stat = (label, value) => h("div", {}, h("dt", {}, label), h("dd", {}, value));
  return [
    h("h1", {}, "Overview"),
    h("p", { class: "meta" }, `Chain ${o.chainId}, block ${o.blockNumber} (${formatTime(o.blockTimestamp)}).`),
    h(
      "dl",
      { class: "totals" },
      stat("Datanets", t.datanets),
      stat("Datasets", t.datasets),
      stat("Duplicate proofs", t.duplicateProofs),
      stat("Adapters", t.adapters),
      stat("Versions (active)", `${t.versions} (${t.activeVersions})`),
      stat("Inferences paid", t.inferences),
      stat("Revenue collected", amount(t.revenue)),
      stat("Burned by settlements", amount(t.burned)),
      stat("Challenges", t.challenges),
    ),
    h("h2", {}, "Inference volume and revenue over time"),
    volumeChart(o.epochs),
    table(
      "Per epoch",
      [{ label: "Epoch" }, { label: "Starts" }, { label: "Inferences", num: true }, { label: "Revenue", num: true }],
      o.epochs.map((e) => [e.epoch, formatTime(e.startTime), e.inferences, amount(e.revenue)]),
    ),
    o.truncated.length > 0
      ? h("p", { class: "meta" }, `Lists cut at their bound (oldest dropped): ${o.truncated.join(", ")}.`)
      : null,
  ];
}

async function datasets() {
  const d = await api("datanets");
  const byId = new Map(d.datasets.map((x) => [x.id, x]));
  const datasetRows = (ids) =>
    ids
      .map((id) => byId.get(id))
      .filter(Boolean)
      .map((x) => [
        `#${x.id}`,
        h("code", {}, x.uri),
        hash(x.owner),
        x.sampleCount,
        x.tokenCount,
        amount(x.stake),
        yesNo(x.eligible),
        x.duplicateCount,
        hash(x.root),
      ]);
  const columns = [
    { label: "Dataset" },
    { label: "URI" },
    { label: "Owner" },
    { label: "Samples", num: true },
    { label: "Tokens", num: true },
    { label: "Stake", num: true },
    { label: "Eligible" },
    { label: "Duplicate proofs", num: true },
    { label: "Root" },
  ];
  return [
    h("h1", {}, "Datanets and datasets"),
    blockLine(d),
    d.datanets.map((n) =>
      h(
        "section",
        { "aria-labelledby": `datanet-${n.id}`, "data-datanet": n.id },
        h("h2", { id: `datanet-${n.id}` }, `Datanet #${n.id}`),
        h(
          "dl",
          { class: "fields" },
          h("dt", {}, "Metadata"),
          h("dd", {}, h("code", {}, n.metadataURI)),
          h("dt", {}, "Curator"),
          h("dd", {}, hash(n.curator, 42)),
          h("dt", {}, "Minimum stake"),
          h("dd", {}, amount(n.minStake)),
          h("dt", {}, "Stake per sample"),
          h("dd", {}, amount(n.stakePerSample)),
        ),
        table(`Datasets of datanet #${n.id}`, columns, datasetRows(n.datasetIds)),
      ),
    ),
    h("h2", {}, "Duplicate proofs"),
    h(
      "div",
      { "data-section": "duplicates" },
      table(
        "A sample proven in two datasets' roots; the later-registered dataset is slashed",
        [
          { label: "Sample hash" },
          { label: "Original" },
          { label: "Slashed copy" },
          { label: "Prover" },
          { label: "Slashed", num: true },
          { label: "Prover reward", num: true },
          { label: "Burned", num: true },
        ],
        d.duplicates.map((p) => [
          hash(p.sampleHash),
          datasetLabel(p.earlierDatasetId, byId),
          datasetLabel(p.laterDatasetId, byId),
          hash(p.prover),
          amount(p.slashed),
          amount(p.reward),
          amount(p.burned),
        ]),
      ),
    ),
  ];
}

async function adapters() {
  const a = await api("adapters");
  const now = BigInt(a.blockTimestamp);
  const byId = new Map(a.versions.map((v) => [v.id, v]));
  return [
    h("h1", {}, "Adapters"),
    h(
      "p",
      { class: "meta" },
      `As of block ${a.blockNumber}; challenge window ${Number(a.challengeWindow) / 60} minutes after submission.`,
    ),
    a.adapters.map((ad) =>
      h(
        "section",
        { "aria-labelledby": `adapter-${ad.id}` },
        h("h2", { id: `adapter-${ad.id}` }, `Adapter #${ad.id} `, h("code", {}, ad.name)),
        h("p", { class: "meta" }, "Owner ", hash(ad.owner, 42)),
        table(
          `Versions of adapter #${ad.id} with their proofs of training`,
          [
            { label: "Version" },
            { label: "Status" },
            { label: "Checkpoint root" },
            { label: "Weights hash" },
            { label: "Contributors root" },
            { label: "Checkpoints", num: true },
            { label: "Eval ROUGE-L", num: true },
            { label: "Training datasets" },
            { label: "Bond", num: true },
            { label: "Challenge window" },
            { label: "Price" },
          ],
          ad.versionIds
            .map((id) => byId.get(id))
            .filter(Boolean)
            .map((v) => [
              `v${v.id}`,
              status(v.status),
              hash(v.proof.checkpointRoot),
              hash(v.proof.weightsHash),
              hash(v.proof.contributorsRoot),
              v.proof.checkpointCount,
              formatBps(v.proof.evalScore),
              v.datasetIds.map((id) => `#${id}`).join(", "),
              amount(v.bond),
              `${BigInt(v.challengeEnd) > now ? "open until" : "closed at"} ${formatTime(v.challengeEnd)}`,
              v.prices.length === 0
                ? "not priced"
                : v.prices.map((p) => `${formatOpen(p.price)} (node ${shortHex(p.node)})`).join("; "),
            ]),
        ),
      ),
    ),
  ];
}

async function settlements() {
  const st = await api("settlements");
  const sp = st.split;
  return [
    h("h1", {}, "Settlements"),
    h(
      "p",
      { class: "meta" },
      `As of block ${st.blockNumber}. Split: node ${formatBps(sp.nodeBps)}, adapter owner ${formatBps(sp.ownerBps)}, datasets ${formatBps(sp.datasetsBps)}, burned ${formatBps(sp.protocolBps)} plus rounding dust; epochs of ${Number(st.epochLength) / 60} minutes.`,
    ),
    h("h2", {}, "Per redemption"),
    moneyFlowByRedemption(st.redemptions),
    table(
      "Redemptions",
      [
        { label: "Block" },
        { label: "Payer" },
        { label: "Node" },
        { label: "Version" },
        { label: "Lane" },
        { label: "Seqs" },
        { label: "Epoch" },
        { label: "Collected", num: true },
        ...PARTS.map((p) => ({ label: p.label, num: true })),
      ],
      st.redemptions.map((r) => [
        r.blockNumber,
        hash(r.payer),
        hash(r.node),
        `v${r.versionId}`,
        r.lane,
        seqRange(r),
        r.epoch,
        amount(r.collected),
        ...PARTS.map((p) => amount(r.parts[p.key])),
      ]),
    ),
    h("h2", {}, "Per epoch"),
    moneyFlowByEpoch(st.epochs),
    table(
      "Dataset pools (node, version, epoch)",
      [
        { label: "Node" },
        { label: "Version" },
        { label: "Epoch" },
        { label: "Inferences", num: true },
        { label: "Collected", num: true },
        { label: "Pool", num: true },
        { label: "Claimed", num: true },
        { label: "Status" },
        { label: "Attribution root" },
      ],
      st.pools.map((p) => [
        hash(p.node),
        `v${p.versionId}`,
        p.epoch,
        p.inferences,
        amount(p.collected),
        amount(p.amount),
        amount(p.claimed),
        status(p.status),
        /^0x0+$/.test(p.root) ? "not posted" : hash(p.root),
      ]),
    ),
    table(
      "Attribution roots posted",
      [
        { label: "Node" },
        { label: "Version" },
        { label: "Epoch" },
        { label: "Root" },
        { label: "Total", num: true },
        { label: "Records root" },
        { label: "Bond", num: true },
        { label: "Challengeable until" },
      ],
      st.roots.map((r) => [
        hash(r.node),
        `v${r.versionId}`,
        r.epoch,
        hash(r.root),
        amount(r.total),
        hash(r.recordsRoot),
        amount(r.bond),
        formatTime(r.challengeEnd),
      ]),
    ),
    table(
      "Claims by dataset owners",
      [{ label: "Dataset" }, { label: "Owner" }, { label: "Amount", num: true }, { label: "Against" }],
      st.claims.map((c) => [
        `#${c.datasetId}`,
        hash(c.owner),
        amount(c.amount),
        c.fallback ? "contributors root (fallback)" : "attribution root",
      ]),
    ),
  ];
}

async function attribution() {
  const [at, recs, nets] = await Promise.all([api("attribution"), api("records?limit=50"), api("datanets")]);
  const byId = new Map(nets.datasets.map((x) => [x.id, x]));
  return [
    h("h1", {}, "Attribution"),
    h(
      "p",
      { class: "meta" },
      `Claims are read from the chain; the node's records (${at.recordsScanned} scanned${at.recordsTruncated ? ", more not scanned" : ""}) give each inference's weights and spans.`,
    ),
    table(
      "Per dataset",
      [
        { label: "Dataset" },
        { label: "Claimed from pools", num: true },
        { label: "Records crediting it", num: true },
        { label: "Fees attributed (before the split)", num: true },
        { label: "Span matches", num: true },
      ],
      at.datasets.map((d) => [
        datasetLabel(d.datasetId, byId),
        amount(d.claimed),
        d.records,
        amount(d.attributedValue),
        d.spans,
      ]),
    ),
    h("h2", {}, "Inferences"),
    table(
      "The node's records (open one to see its spans)",
      [
        { label: "Record" },
        { label: "Lane / seq" },
        { label: "Value", num: true },
        { label: "Datasets" },
        { label: "Output" },
      ],
      recs.records.map((r) => [
        link(`#/inference/${r.recordId}`, shortHex(r.recordId, 14)),
        `${r.receipt.lane} / ${r.receipt.seq}`,
        amount(r.receipt.value),
        r.record.weights.map((w) => `#${w.datasetId} ${formatPpm(w.weightPpm)}`).join(", "),
        r.outputText.length > 80 ? `${r.outputText.slice(0, 80)}…` : r.outputText,
      ]),
    ),
  ];
}

/**
 * The output text with its spans marked. Spans are in normalized text (DESIGN §4: whitespace runs as one space,
 * ASCII lowercased); they are found, left to right, in the normalized output and mapped back to the original
 * characters. A span not found this way is still listed below the text.
 */
function highlight(text, spans) {
  let normalized = "";
  const origin = [];
  let space = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (/\s/u.test(c)) {
      space = normalized.length > 0;
      continue;
    }
    if (space) {
      normalized += " ";
      origin.push(i);
      space = false;
    }
    normalized += c.replace(/[A-Z]/g, (x) => x.toLowerCase());
    origin.push(i);
  }
  const out = [];
  let cursorRaw = 0;
  let cursorNorm = 0;
  for (const [index, span] of spans.entries()) {
    const at = normalized.indexOf(span.text, cursorNorm);
    if (at < 0 || span.text.length === 0) continue;
    const start = origin[at];
    const end = origin[at + span.text.length - 1] + 1;
    out.push(text.slice(cursorRaw, start));
    const datasets = span.datasets.map((d) => `#${d.datasetId} ×${d.count}`).join(", ");
    out.push(
      h("mark", { class: "span", "data-span": index, title: `span ${index + 1}: ${datasets}` }, text.slice(start, end)),
    );
    cursorRaw = end;
    cursorNorm = at + span.text.length;
  }
  out.push(text.slice(cursorRaw));
  return out;
}

async function inference(id) {
  const [r, nets] = await Promise.all([api(`records/${encodeURIComponent(id ?? "")}`), api("datanets")]);
  const byId = new Map(nets.datasets.map((x) => [x.id, x]));
  const field = (label, value) => [h("dt", {}, label), h("dd", {}, value)];
  const spans = r.spans ?? [];
  return [
    h("h1", {}, "Inference ", h("code", { class: "hash" }, r.recordId)),
    h(
      "dl",
      { class: "fields" },
      field("Payer", hash(r.receipt.payer, 42)),
      field("Node", hash(r.receipt.node, 42)),
      field("Adapter version", `v${r.receipt.versionId}`),
      field("Lane / seq", `${r.receipt.lane} / ${r.receipt.seq}`),
      field("Value (cumulative)", [amount(r.receipt.value), " (", amount(r.receipt.cumulative), ")"]),
      field("Tokens (prompt / output)", `${r.record.promptTokens} / ${r.record.outputTokens}`),
      field("Output hash", hash(r.record.outputHash, 66)),
    ),
    table(
      "Attribution weights in the signed record",
      [{ label: "Dataset" }, { label: "Weight", num: true }],
      r.record.weights.map((w) => [datasetLabel(w.datasetId, byId), formatPpm(w.weightPpm)]),
    ),
    h("h2", { id: "output-heading" }, "Output"),
    r.outputText === ""
      ? h("p", { class: "meta" }, "Private mode: the output text was not published.")
      : h(
          "div",
          { class: "output", "data-output": "", "aria-labelledby": "output-heading" },
          highlight(r.outputText, spans),
        ),
    h("h2", {}, "Matched spans"),
    spans.length === 0
      ? h(
          "p",
          { class: "meta" },
          r.spans === undefined
            ? "No span data for this record on this node."
            : "No span matched: the weights are the training shares.",
        )
      : h(
          "ol",
          { "data-spans": "" },
          spans.map((sp) =>
            h(
              "li",
              {},
              h("q", {}, sp.text),
              " — ",
              sp.datasets.map((d, i) => [i > 0 ? ", " : "", datasetLabel(d.datasetId, byId), ` ×${d.count}`]),
            ),
          ),
        ),
  ];
}

async function challenges() {
  const c = await api("challenges");
  const subject = (x) =>
    x.subjectKind === "adapterVersion"
      ? `adapter version v${x.subjectId}`
      : x.subjectKind === "attributionRoot"
        ? [`attribution root of pool `, hash(`0x${BigInt(x.subjectId).toString(16)}`)]
        : x.subjectKind === "node"
          ? "node"
          : [hash(x.subject), ` #${x.subjectId}`];
  return [
    h("h1", {}, "Challenges"),
    blockLine(c),
    table(
      "Challenges at the Arbiter and their outcome",
      [
        { label: "Challenge" },
        { label: "Against" },
        { label: "Challenger" },
        { label: "Defendant" },
        { label: "Bond", num: true },
        { label: "Outcome" },
        { label: "Upheld weight", num: true },
        { label: "Dismissed weight", num: true },
        { label: "Pot", num: true },
        { label: "Burned", num: true },
      ],
      c.challenges.map((x) => [
        `#${x.id}`,
        subject(x),
        hash(x.challenger),
        hash(x.defendant),
        amount(x.bond),
        status(x.ruling === "None" ? "Pending" : x.ruling),
        amount(x.upheldWeight),
        amount(x.dismissedWeight),
        amount(x.pot),
        amount(x.burned),
      ]),
    ),
  ];
}

const PAGES = { overview, datasets, adapters, settlements, attribution, inference, challenges };
const main = document.getElementById("main");
let rendering = 0;

async function render() {
  const token = ++rendering;
  const [, name = "overview", arg] = location.hash.replace(/^#/, "").split("/");
  const page = Object.hasOwn(PAGES, name) ? name : "overview";
  main.dataset.ready = "false";
  for (const a of document.querySelectorAll("nav a")) {
    if (a.dataset.nav === page) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
  document.title = `${TITLES[page]} · OpenLedger explorer`;
  let content;
  try {
    content = await PAGES[page](arg);
  } catch (err) {
    content = [
      h("h1", {}, TITLES[page]),
      h("p", { role: "alert", class: "alert" }, `Could not load this page: ${err.message}`),
    ];
  }
  if (token !== rendering) return;
  main.replaceChildren(...[content].flat(Infinity).filter((x) => x !== null && x !== undefined));
  main.dataset.page = page;
  main.dataset.ready = "true";
}

window.addEventListener("hashchange", render);
render();
