// app.js - the dashboard's behaviour. Reads the master's API (report,
// metrics, fsck, ls, get) and draws the page; every text a peer or a user
// named goes in through textContent, never as HTML. Tables are paged, so a
// cluster of 1,000 chunkservers and a directory of a million files stay
// usable. Changes nothing on the master.
"use strict";

const $ = (id) => document.getElementById(id);
const state = {
  token: sessionStorage.getItem("minidfs-token") || "",
  servers: [], csPage: 0,
  path: "/", lsAfter: [""], lsPage: 0,
  series: { req: [], chunks: [] }, last: null,
};
const PAGE = 50, LS_PAGE = 100, POINTS = 150;

async function api(url, asText) {
  const headers = state.token ? { Authorization: "Bearer " + state.token } : {};
  const r = await fetch(url, { headers, cache: "no-store" });
  if (r.status === 401 || r.status === 403) {
    $("tokenform").hidden = false;
    throw new Error("this master wants a superuser's token");
  }
  const body = asText ? await r.text() : await r.json().catch(() => ({}));
  if (!r.ok) throw new Error((body && body.error) || (url + ": HTTP " + r.status));
  return body;
}

function el(tag, text, cls) {
  const e = document.createElement(tag);
  if (text !== undefined && text !== null) e.textContent = String(text);
  if (cls) e.className = cls;
  return e;
}

function row(cells, cls) {
  const tr = el("tr", null, cls);
  for (const c of cells) {
    if (c instanceof Node) { const td = el("td"); td.appendChild(c); tr.appendChild(td); }
    else if (c && typeof c === "object") { tr.appendChild(el("td", c.text, c.cls)); }
    else tr.appendChild(el("td", c));
  }
  return tr;
}

function bytes(n) {
  const u = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
  let i = 0; n = Number(n) || 0;
  while (n >= 1024 && i < u.length - 1) { n /= 1024; i++; }
  return (i ? n.toFixed(1) : n.toFixed(0)) + " " + u[i];
}

function bar(used, cap) {
  const b = el("div", null, "bar"), s = el("span");
  const pct = cap > 0 ? Math.min(100, 100 * used / cap) : 0;
  s.style.width = pct.toFixed(1) + "%";
  if (pct > 95) s.className = "full"; else if (pct > 80) s.className = "high";
  b.appendChild(s);
  b.title = pct.toFixed(1) + "% used";
  return b;
}

function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }

// ---- summary and chunkservers: /admin/report ----
async function refreshReport() {
  const d = await api("/admin/report");
  $("role").textContent = "master: " + d.role;
  $("safemode").hidden = !d.safeMode;
  $("cap").textContent = bytes(d.used) + " / " + bytes(d.capacity);
  $("capbar").style.width = (d.capacity ? 100 * d.used / d.capacity : 0).toFixed(1) + "%";
  $("capsub").textContent = bytes(d.remaining) + " free on live servers";
  $("files").textContent = d.files.toLocaleString();
  $("dirs").textContent = d.directories.toLocaleString() + " directories";
  $("chunks").textContent = d.chunks.toLocaleString();
  $("data").textContent = bytes(d.logicalBytes) + " of data, " + bytes(d.storedBytes) + " stored";
  const bad = d.missing + d.corrupt, weak = d.underReplicated;
  $("health").textContent = bad ? "UNHEALTHY" : weak ? "DEGRADED" : "HEALTHY";
  $("health").className = "big " + (bad ? "bad" : weak ? "warn" : "ok");
  $("healthsub").textContent = d.underReplicated + " under-replicated, " + d.missing + " missing, " +
    d.corrupt + " corrupt, " + d.overReplicated + " over-replicated";
  $("servers").textContent = d.chunkserversLive + " live";
  $("servers").className = "big " + (d.chunkserversDead ? "warn" : "ok");
  const draining = d.chunkservers.filter((s) => s.state === "decommissioning").length;
  $("serverssub").textContent = d.chunkserversDead + " dead" + (draining ? ", " + draining + " decommissioning" : "");
  $("repairs").textContent = d.repairsInFlight + " in flight";
  $("repairsub").textContent = d.repairsDone.toLocaleString() + " copies done since start";
  state.servers = d.chunkservers;
  drawServers();
}

function drawServers() {
  const f = $("csfilter").value.trim().toLowerCase();
  const list = state.servers.filter((s) => !f || (s.address + " " + s.rack + " " + s.state).toLowerCase().includes(f));
  const pages = Math.max(1, Math.ceil(list.length / PAGE));
  state.csPage = Math.min(state.csPage, pages - 1);
  const tb = $("cstable").querySelector("tbody");
  tb.replaceChildren();
  for (const s of list.slice(state.csPage * PAGE, (state.csPage + 1) * PAGE)) {
    const dec = s.state === "decommissioning" ? s.decommissionRemaining + (s.decommissionRemaining === 1 ? " chunk left" : " chunks left")
      : s.state === "decommissioned" ? "done: may stop" : "";
    tb.appendChild(row([s.address, s.rack, { text: s.state, cls: "state-" + s.state },
      (s.lastContactMs / 1000).toFixed(1) + " s ago", bar(s.used, s.capacity),
      bytes(s.used) + " / " + bytes(s.capacity), { text: s.chunks.toLocaleString(), cls: "num" },
      { text: s.load, cls: "num" }, dec]));
  }
  pager($("cspage"), state.csPage, pages, list.length + " servers", (p) => { state.csPage = p; drawServers(); });
}

function pager(into, page, pages, label, go) {
  into.replaceChildren();
  if (pages > 1) {
    const prev = el("button", "‹"), next = el("button", "›");
    prev.disabled = page === 0; next.disabled = page >= pages - 1;
    prev.onclick = () => go(page - 1); next.onclick = () => go(page + 1);
    into.append(prev, el("span", " page " + (page + 1) + " of " + pages + " ", "muted"), next);
  }
  into.append(el("span", " " + label, "muted"));
}

// ---- throughput: rates of the master's counters, from /metrics ----
function sumFamily(text, name, filter) {
  let total = 0;
  for (const line of text.split("\n")) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== "{" && rest[0] !== " ") continue;
    if (filter && !line.includes(filter)) continue;
    total += Number(line.slice(line.lastIndexOf(" ") + 1)) || 0;
  }
  return total;
}

async function refreshMetrics() {
  const text = await api("/metrics", true);
  const now = Date.now() / 1000;
  const cur = { t: now, req: sumFamily(text, "minidfs_http_requests_total"),
                chunks: sumFamily(text, "minidfs_http_requests_total", 'endpoint="/uploadSuccessful"') };
  if (state.last && now > state.last.t) {
    const dt = now - state.last.t;
    push(state.series.req, Math.max(0, (cur.req - state.last.req) / dt));
    push(state.series.chunks, Math.max(0, (cur.chunks - state.last.chunks) / dt));
    chart($("chart-req"), state.series.req);
    chart($("chart-chunks"), state.series.chunks);
  }
  state.last = cur;
}

function push(a, v) { a.push(v); if (a.length > POINTS) a.shift(); }

function chart(canvas, data) {
  const g = canvas.getContext("2d"), w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  const max = Math.max(1, ...data);
  g.strokeStyle = "#dde1e6"; g.beginPath(); g.moveTo(0, h - 0.5); g.lineTo(w, h - 0.5); g.stroke();
  g.fillStyle = "#6b7480"; g.font = "11px sans-serif";
  g.fillText(max.toFixed(max < 10 ? 1 : 0) + "/s", 4, 12);
  g.fillText("now " + (data.length ? data[data.length - 1].toFixed(1) : "0") + "/s", w - 80, 12);
  g.strokeStyle = "#2857c5"; g.lineWidth = 2; g.beginPath();
  data.forEach((v, i) => {
    const x = w - (data.length - 1 - i) * (w / (POINTS - 1)), y = h - 2 - (h - 18) * v / max;
    if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
  });
  g.stroke();
}

// ---- problem chunks: /fsck ----
async function refreshProblems() {
  const d = await api("/fsck?path=/&limit=200");
  $("fscksum").textContent = d.status + ": " + d.chunks.toLocaleString() + " chunks in " +
    d.files.toLocaleString() + " files; " + d.missing + " missing, " + d.underReplicated +
    " under-replicated, " + d.misplaced + " mis-placed, " + d.corrupt + " corrupt" +
    (d.truncated ? " (first 200 listed)" : "");
  const tb = $("problems").querySelector("tbody");
  tb.replaceChildren();
  for (const p of d.problems) {
    const copies = p.replicas.map((r) => r.server + " (" + r.state + ")").join(", ") || "none";
    tb.appendChild(row([p.file, p.chunk, { text: p.problem, cls: "state-" + (p.problem === "under-replicated" ? "degraded" : p.problem) },
      p.live + " / " + p.wanted, copies]));
  }
  if (!d.problems.length) tb.appendChild(row([{ text: "none: every chunk has its copies", cls: "ok" }, "", "", "", ""]));
}

// ---- the directory browser: /ls, /get ----
async function refreshListing() {
  const after = state.lsAfter[state.lsPage] || "";
  const d = await api("/ls?path=" + encodeURIComponent(state.path) + "&limit=" + LS_PAGE +
    (after ? "&after=" + encodeURIComponent(after) : ""));
  crumbs();
  const tb = $("listing").querySelector("tbody");
  tb.replaceChildren();
  if (state.path !== "/") {
    const up = row(["..", "", "", "", "", ""], "clickable");
    up.onclick = () => cd(state.path.replace(/\/[^/]*$/, "") || "/");
    tb.appendChild(up);
  }
  for (const e of d.entries) {
    const full = (state.path === "/" ? "" : state.path) + "/" + e.name;
    const dir = e.type === "directory";
    const r = row([dir ? e.name + "/" : e.name, dir ? (e.entryCount + " entries") : { text: bytes(e.fileSize), cls: "num" },
      dir ? "" : { text: e.numberOfChunks, cls: "num" }, dir ? "" : e.replication,
      dir ? "" : { text: e.state, cls: "state-" + e.state }, new Date(e.modified).toISOString().replace(".000", "")], "clickable");
    r.onclick = () => (dir ? cd(full) : showFile(full));
    tb.appendChild(r);
  }
  if (d.more && state.lsAfter.length <= state.lsPage + 1 && d.entries.length)
    state.lsAfter[state.lsPage + 1] = d.entries[d.entries.length - 1].name;
  const pages = state.lsPage + (d.more ? 2 : 1);
  pager($("lspage"), state.lsPage, pages, d.entries.length + " entries on this page",
        (p) => { state.lsPage = p; refreshListing().catch(showError); });
}

function crumbs() {
  const c = $("crumbs");
  c.replaceChildren();
  const parts = state.path.split("/").filter(Boolean);
  const root = el("a", "/");
  root.onclick = () => cd("/");
  c.appendChild(root);
  parts.forEach((p, i) => {
    const a = el("a", p + (i < parts.length - 1 ? "/" : ""));
    a.onclick = () => cd("/" + parts.slice(0, i + 1).join("/"));
    c.appendChild(a);
  });
}

function cd(path) {
  state.path = path; state.lsAfter = [""]; state.lsPage = 0;
  $("detail").hidden = true;
  refreshListing().catch(showError);
}

async function showFile(path) {
  $("detail").hidden = false;
  $("detailname").textContent = path;
  const tb = $("chunktable").querySelector("tbody");
  tb.replaceChildren();
  $("chunkmore").textContent = "";
  try {
    const d = await api("/get?path=" + encodeURIComponent(path) + "&from=0&count=100");
    $("detailmeta").textContent = bytes(d.fileSize) + " in " + d.numberOfChunks + " chunks of " +
      bytes(d.chunkSize) + "; identifier " + d.identifier;
    (d.replicas || []).forEach((reps, i) => {
      tb.appendChild(row([{ text: i, cls: "num" }, d.identifier + "_" + i, reps.join(", ") || "no live copy"]));
    });
    if (d.numberOfChunks > 100) $("chunkmore").textContent = "the first 100 of " + d.numberOfChunks + " chunks";
  } catch (e) {
    $("detailmeta").textContent = String(e.message || e);
  }
}

// ---- the loop ----
async function tick() {
  try {
    await refreshReport();
    await refreshMetrics();
    $("updated").textContent = "updated " + new Date().toLocaleTimeString();
    showError(null);
  } catch (e) { showError(e); }
}

$("csfilter").oninput = () => { state.csPage = 0; drawServers(); };
$("fsckbtn").onclick = () => refreshProblems().catch(showError);
$("tokenform").onsubmit = (ev) => {
  ev.preventDefault();
  state.token = $("token").value.trim();
  sessionStorage.setItem("minidfs-token", state.token);
  $("tokenform").hidden = true;
  start();
};

function start() {
  tick();
  refreshProblems().catch(showError);
  refreshListing().catch(showError);
}
start();
setInterval(tick, 2000);
setInterval(() => refreshProblems().catch(showError), 30000);
