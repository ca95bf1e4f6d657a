// archspec serve: the page. Plain browser JavaScript, no build step; CodeMirror 5 is global.
// Every edit (debounced) asks the server to analyse and draw the editor's text; answers
// that arrive after a newer request was sent are dropped, so the page never goes back in time.
"use strict";

const DEBOUNCE_MS = 250;
const $ = (id) => document.getElementById(id);

const state = {
  path: null,        // the open file, relative to the spec folder
  sha256: null,      // hash of the file as loaded or last saved: a save quotes it
  savedText: "",
  specs: [],
  expand: [],        // block paths drawn op by op
  boxes: {},         // diagram box id -> hover data (shape, params, MACs, line)
  svgText: null,     // the last diagram as the server drew it (what "download SVG" saves)
  zoom: null,        // null: fit to width
  seq: 0,            // number of the latest analysis request
  marks: [],         // CodeMirror widgets and marks of the shown problems
};

const editor = CodeMirror($("editor"), {
  mode: "yaml", lineNumbers: true, indentUnit: 2, tabSize: 2, indentWithTabs: false,
  gutters: ["problem-gutter", "CodeMirror-linenumbers"],
  extraKeys: {
    Tab: (cm) => cm.replaceSelection("  "),
    "Ctrl-S": () => save(), "Cmd-S": () => save(),
  },
});

// ---- talking to the server ---------------------------------------------------------------

async function api(method, url, body) {
  const init = { method, headers: {} };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(url, init);
  } catch (e) {
    const problem = { message: "the server does not answer", hint: "is `archspec serve` still running? start it again and reload the page" };
    return { status: 0, ok: false, data: { error: { problems: [problem], context: null } } };
  }
  const type = resp.headers.get("Content-Type") || "";
  const data = type.startsWith("application/json") ? await resp.json() : await resp.blob();
  return { status: resp.status, ok: resp.ok, data };
}

function target() {
  return {
    path: state.path, text: editor.getValue(), variant: $("variant").value || null,
    overrides: splitAssignments($("overrides").value),
  };
}

// `a=1 input=[3, 79, 79] b="x y"`: split on spaces outside brackets and quotes, like a shell.
function splitAssignments(text) {
  const out = [];
  let cur = "", depth = 0, quote = null;
  for (const ch of text) {
    if (quote) { if (ch === quote) quote = null; cur += ch; continue; }
    if (ch === "'" || ch === '"') quote = ch;
    else if ("[{(".includes(ch)) depth++;
    else if ("]})".includes(ch)) depth = Math.max(0, depth - 1);
    else if (/\s/.test(ch) && depth === 0) { if (cur) out.push(cur); cur = ""; continue; }
    cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

// ---- the spec list -----------------------------------------------------------------------

async function loadSpecs() {
  const r = await api("GET", "/api/specs");
  state.specs = r.data.specs;
  $("spec-root").textContent = r.data.root;
  const list = $("spec-list");
  list.innerHTML = "";
  if (!state.specs.length) list.innerHTML = '<li class="muted small">no spec files in this folder</li>';
  for (const s of state.specs) {
    const li = document.createElement("li");
    li.className = "spec";
    li.dataset.path = s.path;
    const head = document.createElement("a");
    head.href = "#";
    head.className = "spec-name";
    head.innerHTML = `<span class="name"></span><span class="file"></span>`;
    head.querySelector(".name").textContent = s.name || s.path;
    head.querySelector(".file").textContent = s.path;
    if (s.problem) { head.classList.add("broken"); head.title = s.problem; }
    head.onclick = (e) => { e.preventDefault(); openFile(s.path, ""); };
    li.appendChild(head);
    if (s.variants.length) {
      const vs = document.createElement("div");
      vs.className = "variants";
      for (const v of s.variants) {
        const a = document.createElement("a");
        a.href = "#";
        a.className = "variant";
        a.dataset.variant = v;
        a.textContent = "#" + v;
        a.onclick = (e) => { e.preventDefault(); openFile(s.path, v); };
        vs.appendChild(a);
      }
      li.appendChild(vs);
    }
    list.appendChild(li);
  }
}

// the open file and variant: highlighted in the list, and in the URL (#file@variant) for a reload
function showLocation() {
  const v = $("variant").value;
  history.replaceState(null, "", "#" + encodeURIComponent(state.path) + (v ? "@" + encodeURIComponent(v) : ""));
  for (const li of document.querySelectorAll("#spec-list .spec")) {
    const here = li.dataset.path === state.path;
    li.classList.toggle("current", here);
    for (const a of li.querySelectorAll(".variant")) a.classList.toggle("current", here && a.dataset.variant === v);
  }
}

function setVariants(names, chosen) {
  const sel = $("variant");
  const keep = chosen === undefined ? sel.value : chosen;
  sel.innerHTML = '<option value="">(default)</option>';
  for (const v of names) {
    const o = document.createElement("option");
    o.value = v; o.textContent = "#" + v;
    sel.appendChild(o);
  }
  if (keep && !names.includes(keep)) {  // the text no longer defines it: say so rather than drop it
    const o = document.createElement("option");
    o.value = keep; o.textContent = "#" + keep + " (not in the text)";
    sel.appendChild(o);
  }
  sel.value = keep || "";
}

// ---- opening and saving ------------------------------------------------------------------

function dirty() { return state.path !== null && editor.getValue() !== state.savedText; }

function showDirty() {
  $("dirty").hidden = !dirty();
  $("save").disabled = state.path === null;
  document.title = (dirty() ? "● " : "") + (state.path || "archspec serve") + " — archspec serve";
}

async function openFile(path, variant) {
  if (dirty() && path !== state.path && !confirm(`Discard the unsaved changes to ${state.path}?`)) return;
  const r = await api("GET", "/api/file?path=" + encodeURIComponent(path));
  if (!r.ok) { showFatal(r.data.error); return; }
  state.path = path;
  state.sha256 = r.data.sha256;
  state.savedText = r.data.text;
  state.expand = [];
  state.zoom = null;
  hideConflict();
  $("file-name").textContent = path;
  const spec = state.specs.find((s) => s.path === path);
  setVariants(spec ? spec.variants : [], variant || "");
  editor.setValue(r.data.text);
  clearTimeout(timer);  // setValue is a change too: analyse once, now
  editor.clearHistory();
  editor.focus();
  showLocation();
  showDirty();
  refresh();
}

async function save(base) {
  if (state.path === null) return;
  const text = editor.getValue();
  const r = await api("POST", "/api/save", { path: state.path, text, base: base === undefined ? state.sha256 : base });
  if (r.status === 409) {
    showConflict(r.data);
    return;
  }
  if (!r.ok) { showFatal(r.data.error); return; }
  state.sha256 = r.data.sha256;
  state.savedText = text;
  hideConflict();
  showDirty();
  flashVerdict("saved " + state.path);
  refresh();
}

function showConflict(data) {
  const p = data.error.problems[0];
  $("conflict-text").textContent = p.message + " — " + p.hint + ".";
  $("conflict").hidden = false;
  $("conflict-overwrite").onclick = () => save(data.conflict.disk);
}

function hideConflict() { $("conflict").hidden = true; }

$("conflict-reload").onclick = async () => {
  state.savedText = editor.getValue();  // discarding on purpose: no second question
  const variant = $("variant").value;
  await openFile(state.path, variant);
};
$("conflict-dismiss").onclick = hideConflict;
$("save").onclick = () => save();
window.addEventListener("beforeunload", (e) => { if (dirty()) { e.preventDefault(); e.returnValue = ""; } });

// ---- analysis ----------------------------------------------------------------------------

let timer = null;
editor.on("change", () => { showDirty(); clearTimeout(timer); timer = setTimeout(refresh, DEBOUNCE_MS); });
$("overrides").addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(refresh, DEBOUNCE_MS); });
$("variant").addEventListener("change", () => { showLocation(); refresh(); });

async function refresh() {
  if (state.path === null) return;
  const seq = ++state.seq;
  const t = target();
  const started = performance.now();
  const [an, dr] = await Promise.all([
    api("POST", "/api/analyse", t),
    api("POST", "/api/render", { ...t, expand: state.expand }),
  ]);
  if (seq !== state.seq) return;  // a newer edit is on its way
  const ms = Math.round(performance.now() - started);
  if (!an.ok) { showFatal(an.data.error); return; }
  const a = an.data;
  if (dr.ok) {
    showDiagram(dr.data);  // first: the summary's rows jump to the lines of the diagram's boxes
  } else if (state.expand.length && a.summary) {
    state.expand = [];  // an opened block was renamed or removed: draw it closed
    refresh();
    return;
  } else {
    staleDiagram(dr.data.error);
  }
  if (a.variants.length || !a.error) setVariants(a.variants);
  showProblems(a.error);
  showTotals(a);
  showSummary(a.summary);
  showDiff(a.diff);
  $("verdict").className = "verdict " + (a.ok ? "good" : "bad");
  $("verdict").textContent = a.ok ? `✓ shapes ok · ${ms} ms`
    : `✗ ${a.error.problems.length} error${a.error.problems.length > 1 ? "s" : ""} · ${ms} ms`;
}

function flashVerdict(text) {
  $("verdict").className = "verdict good";
  $("verdict").textContent = "✓ " + text;
}

function showFatal(error) {
  showProblems(error);
  $("verdict").className = "verdict bad";
  $("verdict").textContent = "✗ " + error.problems[0].message;
}

function where(p) {
  if (!p.file) return "";
  return p.file + (p.line ? `:${p.line}` + (p.col ? `:${p.col}` : "") : "");
}

function showProblems(error) {
  const panelWas = $("problems").hidden;
  editor.operation(() => {
    for (const m of state.marks) m.clear();
    state.marks = [];
    editor.clearGutter("problem-gutter");
    const panel = $("problems");
    panel.innerHTML = "";
    panel.hidden = !error;
    if (!error) return;
    for (const p of error.problems) {
      const row = document.createElement("div");
      row.className = "problem";
      row.innerHTML = '<div class="msg"><span class="where"></span><span class="path"></span><span class="text"></span></div><div class="hint"></div>';
      row.querySelector(".where").textContent = where(p) || "—";
      row.querySelector(".path").textContent = p.path ? p.path + ": " : "";
      row.querySelector(".text").textContent = p.message;
      row.querySelector(".hint").textContent = p.hint ? "hint: " + p.hint : "";
      if (p.here && p.line) {
        row.classList.add("jump");
        row.onclick = () => jumpTo(p.line, p.col);
        markProblem(p);
      }
      panel.appendChild(row);
    }
    if (error.context) {
      const pre = document.createElement("pre");
      pre.className = "context";
      pre.textContent = error.context;
      panel.appendChild(pre);
    }
  });
  if ($("problems").hidden !== panelWas) {  // the editor got shorter or taller: keep the cursor in view
    editor.refresh();
    editor.scrollIntoView(null, 100);
  }
}

function markProblem(p) {
  const line = Math.min(p.line, editor.lineCount()) - 1;
  const marker = document.createElement("div");
  marker.className = "problem-marker";
  marker.textContent = "●";
  marker.title = p.message + (p.hint ? "\nhint: " + p.hint : "");
  editor.setGutterMarker(line, "problem-gutter", marker);
  const text = editor.getLine(line);
  const from = Math.max(0, Math.min((p.col || 1) - 1, text.length));
  const end = text.slice(from).search(/[\s,}\]]|$/);
  const to = from + Math.max(end, 1);
  state.marks.push(editor.markText({ line, ch: from }, { line, ch: Math.min(to, Math.max(text.length, from + 1)) },
    { className: "cm-problem" }));
  const handle = editor.addLineClass(line, "background", "cm-problem-line");
  state.marks.push({ clear: () => editor.removeLineClass(handle, "background", "cm-problem-line") });
  const w = document.createElement("div");
  w.className = "problem-widget";
  w.innerHTML = '<div class="caret">▲</div><div class="msg"><span class="path"></span><span class="text"></span></div><div class="hint"></div>';
  w.querySelector(".caret").style.paddingLeft = from + "ch";  // under the column, in the editor's font
  w.querySelector(".path").textContent = p.path ? p.path + ": " : "";
  w.querySelector(".text").textContent = p.message;
  w.querySelector(".hint").textContent = p.hint ? "hint: " + p.hint : "";
  state.marks.push(editor.addLineWidget(line, w, { coverGutter: false, noHScroll: true }));
}

function jumpTo(line, col) {
  const pos = { line: line - 1, ch: Math.max(0, (col || 1) - 1) };
  editor.setCursor(pos);
  editor.scrollIntoView(pos, 120);
  editor.focus();
  const handle = editor.addLineClass(pos.line, "background", "cm-jump-line");
  setTimeout(() => editor.removeLineClass(handle, "background", "cm-jump-line"), 900);
}

// ---- figures -----------------------------------------------------------------------------

const fmtInt = (n) => n.toLocaleString("en-US");
function human(n) {
  for (const [u, d] of [["G", 1e9], ["M", 1e6], ["K", 1e3]]) if (Math.abs(n) >= d) return (n / d).toFixed(2) + u;
  return String(n);
}
const shape = (s) => (s ? s.join("×") : "–");
function signed(n, f) { return (n > 0 ? "+" : n < 0 ? "−" : "±") + f(Math.abs(n)); }

function showTotals(a) {
  const s = a.summary;
  const stale = !s;
  $("totals").classList.toggle("stale", stale);
  if (s) {
    $("total-params").textContent = fmtInt(s.total.params);
    $("total-macs").textContent = human(s.total.macs);
    $("total-macs").title = fmtInt(s.total.macs) + " multiply-accumulates";
    const out = s.nodes.length ? s.nodes[s.nodes.length - 1].output_shape : null;
    $("io").textContent = shape(s.input) + " → " + shape(out);
  }
  const d = a.diff && a.diff.total ? a.diff.total.delta : null;
  for (const [k, f] of [["params", fmtInt], ["macs", human]]) {
    const el = $("delta-" + k);
    el.textContent = d && d[k] ? signed(d[k], f) + " vs saved" : "";
    el.className = "delta " + (d && d[k] > 0 ? "up" : d && d[k] < 0 ? "down" : "");
  }
}

function cell(tr, text, cls) {
  const td = document.createElement("td");
  td.textContent = text;
  if (cls) td.className = cls;
  tr.appendChild(td);
  return td;
}

function showSummary(s) {
  const table = $("summary");
  table.innerHTML = "";
  if (!s) { table.innerHTML = '<caption class="muted">no summary while the spec has errors</caption>'; return; }
  const head = table.createTHead().insertRow();
  for (const [h, c] of [["block", ""], ["op / template", ""], ["output", ""], ["params", "num"], ["MACs", "num"]]) {
    const th = document.createElement("th"); th.textContent = h; th.className = c; head.appendChild(th);
  }
  const body = table.createTBody();
  for (const n of s.nodes) {
    const tr = body.insertRow();
    if (n.head) tr.className = "aux";
    cell(tr, n.path + (n.head && n.path === n.head ? " (aux)" : ""));
    cell(tr, n.op, "muted");
    cell(tr, shape(n.output_shape), "mono");
    cell(tr, fmtInt(n.params), "num");
    cell(tr, human(n.macs), "num");
    const box = state.boxes[n.path];
    if (box && box.here && box.line) { tr.classList.add("jump"); tr.onclick = () => jumpTo(box.line, box.col); }
  }
  const foot = table.createTFoot().insertRow();
  cell(foot, "total"); cell(foot, ""); cell(foot, "");
  cell(foot, fmtInt(s.total.params), "num"); cell(foot, human(s.total.macs), "num");
  if (s.heads.length) {
    const inf = table.tFoot.insertRow();
    cell(inf, "without aux heads", "muted"); cell(inf, ""); cell(inf, "");
    cell(inf, fmtInt(s.inference.params), "num muted"); cell(inf, human(s.inference.macs), "num muted");
  }
  const cap = table.createCaption();
  cap.textContent = s.macs_convention;
  cap.className = "muted small";
}

let lastDiff = null;
$("diff-all").addEventListener("change", () => showDiff(lastDiff));

function showDiff(diff) {
  lastDiff = diff;
  const el = $("diff");
  el.innerHTML = "";
  const count = $("diff-count");
  count.hidden = true;
  if (!diff) { el.innerHTML = '<p class="muted">no comparison while the text has errors</p>'; return; }
  if (!diff.blocks) {
    el.innerHTML = '<p class="muted">the saved file does not pass the check, so there is nothing to compare with</p>';
    return;
  }
  const changed = diff.blocks.filter((b) => b.status !== "same");
  count.hidden = !changed.length;
  count.textContent = changed.length;
  const shown = $("diff-all").checked ? diff.blocks : changed;
  if (!shown.length) { el.innerHTML = '<p class="muted">the text gives the same network as the saved file</p>'; return; }
  const table = document.createElement("table");
  table.className = "grid";
  const head = table.createTHead().insertRow();
  for (const [h, c] of [["block", ""], ["", ""], ["output", ""], ["params", "num"], ["Δ params", "num"], ["MACs", "num"], ["Δ MACs", "num"]]) {
    const th = document.createElement("th"); th.textContent = h; th.className = c; head.appendChild(th);
  }
  const body = table.createTBody();
  for (const b of shown) {
    const tr = body.insertRow();
    tr.className = b.status;
    if (b.changes) tr.title = b.changes;  // what changed in the block itself, as `archspec diff` says it
    const before = b.before || { params: 0, macs: 0, shape: null }, after = b.after || { params: 0, macs: 0, shape: null };
    cell(tr, b.name);
    cell(tr, b.status, "status");
    const sa = shape(before.shape), sb = shape(after.shape);
    cell(tr, b.before && b.after && sa !== sb ? `${sa} → ${sb}` : b.after ? sb : sa, "mono");
    cell(tr, fmtInt(after.params), "num");
    cell(tr, after.params - before.params ? signed(after.params - before.params, fmtInt) : "", "num delta");
    cell(tr, human(after.macs), "num");
    cell(tr, after.macs - before.macs ? signed(after.macs - before.macs, human) : "", "num delta");
  }
  const t = diff.total;
  const foot = table.createTFoot().insertRow();
  cell(foot, "total"); cell(foot, ""); cell(foot, "");
  cell(foot, fmtInt(t.after.params), "num"); cell(foot, t.delta.params ? signed(t.delta.params, fmtInt) : "", "num delta");
  cell(foot, human(t.after.macs), "num"); cell(foot, t.delta.macs ? signed(t.delta.macs, human) : "", "num delta");
  el.appendChild(table);
}

// ---- the diagram -------------------------------------------------------------------------

function showDiagram(data) {
  unhover();  // its box is about to be replaced, so no mouseleave would come
  state.svgText = data.svg;
  state.boxes = data.boxes;
  const host = $("diagram");
  host.innerHTML = data.svg;
  $("diagram-wrap").classList.remove("stale");
  $("diagram-note").hidden = true;
  const svg = host.querySelector("svg");
  if (!svg) return;
  svg.dataset.width = parseFloat(svg.getAttribute("width"));
  svg.removeAttribute("height");
  // our hover card replaces the browser's tooltips (Graphviz's <title> and xlink:title)
  for (const a of svg.querySelectorAll("a")) { a.removeAttribute("xlink:title"); a.removeAttribute("title"); }
  for (const g of svg.querySelectorAll("g.node")) {
    const title = g.querySelector("title");
    const id = title ? title.textContent : null;
    if (title) title.remove();
    const box = data.boxes[id];
    if (!box) continue;
    g.dataset.box = id;
    g.classList.add(box.kind === "group" ? "expandable" : "jumpable");
    if (box.error) g.classList.add("failing");
    g.addEventListener("mousemove", (e) => hover(e, id, box));
    g.addEventListener("mouseleave", unhover);
    g.addEventListener("click", () => {
      unhover();
      if (box.here && box.line) jumpTo(box.line, box.col);
      if (box.kind === "group") { state.expand = [...state.expand, id]; refresh(); }
    });
  }
  for (const g of svg.querySelectorAll("g.cluster")) {
    const title = g.querySelector("title");
    const path = title ? title.textContent.replace(/^cluster_/, "") : null;
    if (title) title.remove();
    if (!path || !state.expand.some((e) => e === path || e.startsWith(path + "/") || path.startsWith(e + "/"))) continue;
    g.classList.add("collapsible");
    const frame = g.querySelector("path, polygon");
    if (frame) frame.addEventListener("click", () => collapse(path));
    const label = g.querySelector("text");
    if (label) label.addEventListener("click", () => collapse(path));
  }
  showExpanded();
  applyZoom();
}

function collapse(path) {
  state.expand = state.expand.filter((e) => !(e === path || e.startsWith(path + "/") || path.startsWith(e + "/")));
  refresh();
}

function showExpanded() {
  const el = $("expanded");
  el.innerHTML = "";
  if (!state.expand.length) { el.innerHTML = '<span class="muted small">block level</span>'; return; }
  for (const name of state.expand) {
    const chip = document.createElement("button");
    chip.className = "chip";
    chip.title = "draw " + name + " as one block again";
    chip.textContent = name + " ×";
    chip.onclick = () => { state.expand = state.expand.filter((e) => e !== name); refresh(); };
    el.appendChild(chip);
  }
}

function staleDiagram(error) {
  $("diagram-wrap").classList.add("stale");
  const note = $("diagram-note");
  note.hidden = false;
  note.textContent = state.svgText
    ? "The diagram shows the last text that could be drawn: " + error.problems[0].message
    : error.problems[0].message;
}

function hover(e, id, box) {
  const card = $("hovercard");
  const rows = [["shape", shape(box.shape)], ["params", fmtInt(box.params)], ["MACs", fmtInt(box.macs)]];
  card.innerHTML = '<div class="title"></div><table></table><div class="src"></div><div class="err"></div><div class="act"></div>';
  card.querySelector(".title").textContent = id + (box.instances > 1 ? ` (×${box.instances})` : "");
  const t = card.querySelector("table");
  for (const [k, v] of rows) { const tr = t.insertRow(); cell(tr, k, "muted"); cell(tr, v, "num"); }
  card.querySelector(".src").textContent = where(box) ? "source: " + where(box) : "";
  card.querySelector(".err").textContent = box.error ? "✗ " + box.error : "";
  card.querySelector(".act").textContent = box.kind === "group" ? "click: open op by op, jump to its line"
    : box.here && box.line ? "click: jump to its line" : "";
  card.hidden = false;
  const pad = 14, w = card.offsetWidth, h = card.offsetHeight;
  const x = e.clientX + pad + w > window.innerWidth ? e.clientX - pad - w : e.clientX + pad;
  const y = e.clientY + pad + h > window.innerHeight ? e.clientY - pad - h : e.clientY + pad;
  card.style.left = x + "px";
  card.style.top = y + "px";
}

function unhover() { $("hovercard").hidden = true; }

function applyZoom() {
  const svg = $("diagram").querySelector("svg");
  if (!svg) return;
  const natural = parseFloat(svg.dataset.width) * 4 / 3;  // Graphviz sizes in pt; CSS px are 3/4 pt
  const fit = Math.min(1, ($("diagram-wrap").clientWidth - 24) / natural);
  const z = state.zoom === null ? fit : state.zoom;
  svg.setAttribute("width", Math.round(natural * z) + "px");
}

$("zoom-in").onclick = () => { state.zoom = currentZoom() * 1.25; applyZoom(); };
$("zoom-out").onclick = () => { state.zoom = currentZoom() / 1.25; applyZoom(); };
$("zoom-fit").onclick = () => { state.zoom = null; applyZoom(); };
window.addEventListener("resize", applyZoom);
function currentZoom() {
  const svg = $("diagram").querySelector("svg");
  return svg ? parseFloat(svg.getAttribute("width")) / (parseFloat(svg.dataset.width) * 4 / 3) : 1;
}

function download(blob, name) {
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = name;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

function diagramName(ext) {
  const base = state.path.replace(/\.ya?ml$/, "").replace(/\//g, "_");
  return base + ($("variant").value ? "_" + $("variant").value : "") + "." + ext;
}

$("download-svg").onclick = () => {
  if (state.svgText) download(new Blob([state.svgText], { type: "image/svg+xml" }), diagramName("svg"));
};
$("download-png").onclick = async () => {
  const r = await api("POST", "/api/render", { ...target(), expand: state.expand, format: "png" });
  if (r.ok) download(r.data, diagramName("png"));
  else staleDiagram(r.data.error);
};

// ---- tabs and start ----------------------------------------------------------------------

for (const tab of document.querySelectorAll(".tab")) {
  tab.onclick = () => {
    for (const t of document.querySelectorAll(".tab")) t.classList.toggle("active", t === tab);
    for (const b of document.querySelectorAll(".tab-body")) b.classList.toggle("active", b.id === "tab-" + tab.dataset.tab);
    if (tab.dataset.tab === "diagram") applyZoom();
  };
}

(async function start() {
  await loadSpecs();
  const [file, variant] = location.hash.slice(1).split("@").map(decodeURIComponent);
  const chosen = state.specs.find((s) => s.path === file) || state.specs[0];
  if (chosen) openFile(chosen.path, chosen.path === file ? variant || "" : "");
})();
