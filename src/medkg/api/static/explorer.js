// medkg explorer: search, neighbourhood graph (vis-network), Cypher, recommendations.
"use strict";
const $ = (id) => document.getElementById(id);
const COLOURS = { Disease: "#e4572e", Drug: "#17bebb", Gene: "#ffc914", Symptom: "#76b041",
  SideEffect: "#a06cd5", Pathway: "#4f6d7a", Anatomy: "#c0a080", ClinicalTrial: "#2e86ab",
  Document: "#999999" };
const nodes = new vis.DataSet();
const edges = new vis.DataSet();
const network = new vis.Network($("graph"), { nodes, edges }, {
  physics: { stabilization: { iterations: 150 } },
  edges: { arrows: "to", font: { size: 9, align: "middle" }, color: "#999" },
  nodes: { shape: "dot", size: 12, font: { size: 12 } },
  interaction: { hover: true },
});
window.medkgNetwork = network; // for tests and the console

$("api-key").value = localStorage.getItem("medkg-api-key") || "";
$("api-key").addEventListener("change", (e) => localStorage.setItem("medkg-api-key", e.target.value));

function status(text, isError = false) {
  $("status").textContent = text;
  $("status").className = isError ? "error" : "";
}

async function api(path, body) {
  const headers = { "Content-Type": "application/json" };
  const key = $("api-key").value.trim();
  if (key) headers["X-API-Key"] = key;
  const res = await fetch(path, body === undefined ? { headers } :
    { method: "POST", headers, body: JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const detail = typeof data.detail === "string" ? data.detail : JSON.stringify(data.detail);
    throw new Error(`${res.status}: ${detail}`);
  }
  return data;
}

function addNode(n, extra = {}) {
  if (!nodes.get(n.id)) {
    nodes.add({ id: n.id, label: n.name || n.id, title: `${n.label}: ${n.id}`,
      color: COLOURS[n.label] || "#888", group: n.label, ...extra });
  } else if (Object.keys(extra).length) {
    nodes.update({ id: n.id, ...extra });
  }
}

function addEdge(from, to, type, extra = {}) {
  const id = `${from}|${type}|${to}`;
  if (!edges.get(id)) edges.add({ id, from, to, label: type, ...extra });
  else if (Object.keys(extra).length) edges.update({ id, ...extra });
}

async function expand(id) {
  status(`loading neighbours of ${id}...`);
  try {
    const nbs = await api(`/v1/nodes/${encodeURIComponent(id)}/neighbours?limit=30`);
    for (const nb of nbs) {
      addNode(nb.node);
      if (nb.direction === "out") addEdge(id, nb.node.id, nb.type);
      else addEdge(nb.node.id, id, nb.type);
    }
    status(`${nodes.length} nodes, ${edges.length} relationships`);
  } catch (err) { status(err.message, true); }
}

async function showNode(id) {
  try {
    const n = await api(`/v1/nodes/${encodeURIComponent(id)}`);
    const rows = Object.entries(n).filter(([, v]) => v !== null && v !== "" &&
      !(Array.isArray(v) && !v.length));
    $("node-details").innerHTML = "";
    const table = document.createElement("table");
    for (const [k, v] of rows) {
      const tr = table.insertRow();
      tr.insertCell().textContent = k;
      tr.insertCell().textContent = Array.isArray(v) ? v.join("; ") : String(v);
    }
    $("node-details").appendChild(table);
  } catch (err) { status(err.message, true); }
}

async function openNode(id, label, name) {
  nodes.clear(); edges.clear();
  addNode({ id, label, name }, { size: 20 });
  await showNode(id);
  await expand(id);
  network.fit();
}

network.on("click", (p) => { if (p.nodes.length) showNode(p.nodes[0]); });
network.on("doubleClick", (p) => { if (p.nodes.length) expand(p.nodes[0]); });

$("search-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const q = $("search-input").value.trim();
  $("search-results").innerHTML = "";
  try {
    const found = await api(`/v1/search?q=${encodeURIComponent(q)}&limit=15`);
    for (const n of found) {
      const li = document.createElement("li");
      li.textContent = `${n.name} (${n.label}, ${n.id})`;
      li.dataset.id = n.id;
      li.addEventListener("click", () => openNode(n.id, n.label, n.name));
      $("search-results").appendChild(li);
    }
    status(found.length ? `${found.length} matches` : "no match");
    if (found.length) await openNode(found[0].id, found[0].label, found[0].name);
  } catch (err) { status(err.message, true); }
});

// Neo4j's Cypher editor (syntax, completion of the graph's labels, types and
// properties) replaces the textarea when its bundle loaded; the textarea stays
// the fallback.
let cypherEditor = null;
if (window.medkgCreateCypherEditor) {
  const area = $("cypher-input");
  const holder = document.createElement("div");
  holder.id = "cypher-editor";
  area.after(holder);
  area.hidden = true;
  cypherEditor = window.medkgCreateCypherEditor(holder, area.value);
  window.medkgCypherEditor = cypherEditor; // for tests and the console
  api("/v1/schema").then((s) => cypherEditor.setSchema({
    labels: s.labels, relationshipTypes: s.relationship_types, propertyKeys: s.property_keys,
    parameters: ["id"],
  })).catch(() => {}); // completion without the schema still knows Cypher
}
const cypherText = () => (cypherEditor ? cypherEditor.getValue() : $("cypher-input").value);

$("cypher-run").addEventListener("click", async () => {
  const out = $("cypher-result");
  out.innerHTML = "";
  let params = {};
  try { params = JSON.parse($("cypher-params").value || "{}"); }
  catch { out.innerHTML = '<p class="error">parameters are not valid JSON</p>'; return; }
  try {
    const res = await api("/v1/cypher", { query: cypherText(), params });
    const table = document.createElement("table");
    table.id = "cypher-table";
    const head = table.createTHead().insertRow();
    for (const c of res.columns) head.appendChild(document.createElement("th")).textContent = c;
    const body = table.createTBody();
    for (const row of res.rows) {
      const tr = body.insertRow();
      for (const c of res.columns) {
        const v = row[c];
        tr.insertCell().textContent = typeof v === "object" ? JSON.stringify(v) : String(v);
      }
    }
    out.appendChild(table);
    status(`${res.rows.length} rows${res.truncated ? " (truncated)" : ""}`);
  } catch (err) {
    out.innerHTML = "";
    const p = document.createElement("p");
    p.className = "error";
    p.textContent = err.message;
    out.appendChild(p);
  }
});

function highlight(item) {
  for (const path of item.evidence) {
    path.nodes.forEach((n) => addNode(n, { borderWidth: 4, color: { border: "#000",
      background: COLOURS[n.label] || "#888" } }));
    for (let i = 0; i < path.relationships.length; i++) {
      addEdge(path.nodes[i].id, path.nodes[i + 1].id, path.relationships[i],
        { color: { color: "#d62828" }, width: 3 });
    }
  }
  network.fit();
}

// What a clinician must see beside a drug: a known indication, the patient's
// allergy (and why), and whether the patient already takes or stopped it.
function flagText(flags) {
  let text = flags.known ? " (known treatment)" : "";
  if (flags.allergy_conflict) text += ` - allergy conflict: ${flags.allergy_conflict[0]}`;
  const med = flags.patient_medication;
  if (med) {
    text += med.status === "current" ? " - the patient takes it" : " - the patient stopped it";
    if (med.sentences.length) text += ` ("${med.sentences[0]}")`;
  }
  return text;
}

$("rec-form").addEventListener("submit", async (e) => {
  e.preventDefault();
  const value = $("rec-input").value.trim();
  const body = /^[A-Za-z]+:[\w.]+$/.test(value) ? { disease_id: value, limit: 10 }
    : { patient: { text: value }, limit: 10 };
  $("rec-results").innerHTML = "";
  try {
    const res = await api("/v1/recommend/treatments", body);
    $("rec-method").textContent = `method: ${res.method}` +
      (res.notes.length ? ` - ${res.notes.join("; ")}` : "");
    for (const item of res.items) {
      const li = document.createElement("li");
      li.innerHTML = `<b></b> <span></span><div class="evidence"></div>`;
      li.querySelector("b").textContent = item.name;
      li.querySelector("span").textContent = `score ${item.score}` + flagText(item.flags);
      li.querySelector(".evidence").textContent = item.evidence.map((p) => p.text).join(" | ");
      li.addEventListener("click", () => highlight(item));
      $("rec-results").appendChild(li);
    }
    if (res.items.length) highlight(res.items[0]);
  } catch (err) { status(err.message, true); }
});
