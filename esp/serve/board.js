"use strict";
// The live board: redraws on each server-sent 'update'; with `esp serve --edit`
// it also takes changes (a small form, keyboard shortcuts for the facilitator).
const KINDS = [
  ["event", "e", "Domain event"], ["command", "c", "Command"], ["hotspot", "h", "Hotspot"],
  ["actor", "a", "Actor"], ["process", "p", "Process row"], ["listener", "l", "Listener"],
];
let state = null;
let current = null;
let shownVersion = -1;
let kind = null;
let formBase = 0;  // the version the form was opened at: a change is made against what its author saw

const $ = id => document.getElementById(id);

function text(tag, content, cls) {
  const el = document.createElement(tag);
  el.textContent = content;
  if (cls) el.className = cls;
  return el;
}

const rendered = new Map();  // element id -> what it shows: a big model's lists are rebuilt only when they change

function unchanged(id, items) {
  const key = JSON.stringify(items);
  if (rendered.get(id) === key) return true;
  rendered.set(id, key);
  return false;
}

function renderList(id, items, make) {
  if (unchanged(id, items)) return;
  $(id).replaceChildren(...(items.length ? items.map(make) : [text("li", "none")]));
}

function options(select, values, keep) {
  if (unchanged(select.id, values)) return;
  const before = select.value;
  select.replaceChildren(...values.map(v => { const o = text("option", v); o.value = v; return o; }));
  if (keep && values.includes(before)) select.value = before;
}

function datalist(id, values) {
  if (unchanged(id, values)) return;
  $(id).replaceChildren(...values.map(v => { const o = document.createElement("option"); o.value = v; return o; }));
}

let latest = -1;  // the newest version fetched: an older answer that arrives late is not shown

async function refresh() {
  const fetched = await (await fetch("/state", {cache: "no-store"})).json();
  if (fetched.version < latest) return;
  latest = fetched.version;
  state = fetched;
  if (!current || !state.views.includes(current)) current = state.views[0] || null;
  $("title").textContent = "esp board: " + (state.files.join(", ") || "no journeys");
  const status = $("status");
  status.textContent = state.errors ? `${state.errors} error(s): showing the last good drawing`
    : state.todos ? `valid for the workshop: ${state.todos} to-do(s)` : "valid";
  status.className = state.errors ? "bad" : "ok";
  $("views").replaceChildren(...state.views.map(view => {
    const b = text("button", view);
    b.setAttribute("aria-pressed", String(view === current));
    b.onclick = () => { current = view; shownVersion = -1; refresh(); };
    return b;
  }));
  renderList("problems", state.problems, p => {
    const li = text("li", `${p.severity} ${p.code}: ${p.message}`, p.severity);
    li.appendChild(text("span", `${p.file}:${p.line}:${p.column}` + (p.hint ? ` — ${p.hint}` : ""), "where"));
    return li;
  });
  renderList("hotspots", state.hotspots, h => text("li", h, "hotspot"));
  if (state.editable) renderEditing();
  $("drawing").classList.toggle("stale", state.stale);
  if (current && state.version !== shownVersion && `${current}@${state.version}` !== inFlight) await showDrawing(state.version);
  document.body.dataset.version = String(state.version);
}

// -- the drawing, page by page -----------------------------------------------------------------
// A big map comes in pages, each named by a hash of its SVG (its etag): after a change only
// the pages whose etag changed are fetched and replaced; the others stay in the page as they are.

let inFlight = "";  // the view@version whose drawing is being fetched: asked once, not by every refresh

async function showDrawing(version) {
  const view = current;
  const base = `/view/${encodeURIComponent(view)}`;
  inFlight = `${view}@${version}`;
  try {
    const manifest = await (await fetch(`${base}.json?v=${version}`, {cache: "no-store"})).json();
    const shown = shownPages(view, manifest.paged);
    const wanted = [...new Set(manifest.pages.map(p => p.etag))].filter(etag => !shown.has(etag));
    const texts = await Promise.all(wanted.map(async etag => {
      const response = await fetch(`${base}/${etag}.svg`, {cache: "no-store"});
      if (!response.ok) throw new Error(`page ${etag}: ${response.status}`);
      return response.text();
    }));
    if (version < latest || view !== current) return;  // a newer drawing (or another view) is on its way
    const fetched = new Map(wanted.map((etag, i) => [etag, texts[i]]));
    if (manifest.paged) placePages(manifest, shown, fetched);
    else if (fetched.size) placeWhole(manifest.pages[0].etag, fetched.get(manifest.pages[0].etag));
    const box = $("drawing");
    box.dataset.view = view;
    box.dataset.version = String(version);
    shownVersion = version;
  } catch (error) {  // a page replaced meanwhile, the board restarting: ask again
    setTimeout(() => refresh(), 250);
  } finally {
    if (inFlight === `${view}@${version}`) inFlight = "";
  }
}

function shownPages(view, paged) {
  const box = $("drawing");
  const root = box.firstElementChild;
  if (box.dataset.view !== view || !root || paged !== (root.dataset.paged === "1")) return new Map();
  const elements = paged ? [...root.children] : [root];
  return new Map(elements.filter(e => e.dataset.etag).map(e => [e.dataset.etag, e]));
}

function placeWhole(etag, svg) {
  const box = $("drawing");
  box.innerHTML = svg;  // our own SVG, drawn by graphviz from validated names; the CSP runs no script in it
  if (box.firstElementChild) box.firstElementChild.dataset.etag = etag;
}

function placePages(manifest, shown, fetched) {
  const box = $("drawing");
  let root = box.firstElementChild;
  if (!root || root.dataset.paged !== "1") {
    box.innerHTML = '<svg data-paged="1"></svg>';  // the HTML parser puts it in SVG's namespace
    root = box.firstElementChild;
  }
  root.setAttribute("width", `${manifest.width}pt`);
  root.setAttribute("height", `${manifest.height}pt`);
  root.setAttribute("viewBox", `0 0 ${manifest.width} ${manifest.height}`);
  const wanted = new Set(manifest.pages.map(p => p.etag));
  manifest.pages.forEach((p, i) => {
    let el = root.children[i];
    if (!el || el.dataset.etag !== p.etag) {
      const fresh = shown.get(p.etag) || page(fetched.get(p.etag), p.etag);
      shown.delete(p.etag);
      if (el && !wanted.has(el.dataset.etag)) el.replaceWith(fresh);
      else root.insertBefore(fresh, el || null);
      el = fresh;
    }
    el.setAttribute("x", "0");
    el.setAttribute("y", String(p.y));
  });
  while (root.children.length > manifest.pages.length) root.lastElementChild.remove();
}

function page(svg, etag) {
  // our own SVG, drawn by graphviz from validated names; parsed as SVG (no script runs), then placed
  const parsed = new DOMParser().parseFromString(svg, "image/svg+xml").documentElement;
  const el = document.importNode(parsed, true);
  el.dataset.etag = etag;
  return el;
}

// -- editing ----------------------------------------------------------------------------------

function who() { return localStorage.getItem("esp-name") || ""; }

function showWho() {
  const name = who();
  $("who").hidden = !name;
  $("join").hidden = !!name;
  $("who-name").textContent = name;
}

function renderEditing() {
  $("editor").hidden = false;
  $("added-section").hidden = false;
  $("log-section").hidden = false;
  showWho();
  const names = state.names || {processes: [], events: [], commands: [], actors: [], microservices: []};
  options($("f-process"), names.processes.map(p => p.name), true);
  options($("f-microservice"), names.microservices, true);
  options($("f-file"), state.files, true);
  datalist("l-events", names.events);
  datalist("l-commands", names.commands);
  datalist("l-actors", names.actors);
  datalist("l-all", [...names.events, ...names.commands, ...names.processes.map(p => p.name), ...names.actors]);
  if (!$("added").querySelector(".rename-field")) renderList("added", state.added, addedItem);  // keep a rename being typed
  const undo = $("undo");
  undo.disabled = !state.undo;
  undo.title = state.undo ? "undo: " + state.undo : "nothing to undo";
  undo.firstChild.textContent = state.undo ? `Undo: ${state.undo} ` : "Undo ";
  renderList("log", [...state.log].reverse(), e => {
    const li = text("li", "");
    li.append(text("span", e.when.slice(11, 19) + " ", "where"), text("span", e.who, "who"), " " + e.what);
    return li;
  });
}

function addedItem(item) {
  const li = document.createElement("li");
  li.dataset.kind = item.kind;
  li.dataset.name = item.name;
  li.className = "sticky-" + item.kind;
  const label = text("span", `${item.kind} ${item.name}`, "label");
  label.title = `added by ${item.who}`;
  const rename = text("button", "rename", "rename");
  rename.hidden = item.kind === "listener";
  rename.onclick = () => startRename(li, item);
  const remove = text("button", "remove", "remove");
  remove.onclick = () => send("/change", {action: "remove", kind: item.kind, name: item.name, base: state.version});
  li.append(label, rename, remove);
  return li;
}

function startRename(li, item) {
  const base = state.version;  // what this participant saw when they began
  const input = document.createElement("input");
  input.type = "text";
  input.value = item.name;
  input.className = "rename-field";
  input.onkeydown = e => {
    if (e.key === "Enter") {
      li.replaceWith(addedItem(item));  // the list shows the outcome after this
      send("/change", {action: "rename", kind: item.kind, name: item.name, new_name: input.value, base});
    } else if (e.key === "Escape") {
      li.replaceWith(addedItem(item));
    }
  };
  li.replaceChildren(input);
  input.focus();
  input.select();
}

function openForm(k) {
  if (!state || !state.editable) return;
  kind = k;
  formBase = state.version;
  for (const b of $("kinds").children) b.setAttribute("aria-pressed", String(b.dataset.kind === k));
  $("form").hidden = false;
  $("f-name-label").textContent = k === "hotspot" ? "Question" : k === "listener" ? "Description (optional)" : "Name";
  $("f-name").required = k !== "listener";
  for (const div of $("form").querySelectorAll("[data-for]")) {
    const wanted = div.dataset.for.split(" ");
    div.hidden = div.dataset.for === "file" ? state.files.length < 2 : !wanted.includes(k);
  }
  $("f-name").value = "";
  $("f-name").focus();
}

function closeForm() {
  kind = null;
  $("form").hidden = true;
  for (const b of $("kinds").children) b.setAttribute("aria-pressed", "false");
}

function details() {
  const v = id => $(id).value.trim();
  switch (kind) {
    case "event": return {process: v("f-process"), integration: $("f-integration").checked ? "yes" : ""};
    case "command": return {process: v("f-process"), emits: v("f-emits")};
    case "hotspot": return {about: v("f-about"), by: who()};
    case "process": return {microservice: v("f-microservice"), actor: v("f-actor")};
    case "listener": return {on: v("f-on"), in: v("f-microservice"), command: v("f-command")};
    default: return {};
  }
}

function say(outcome) {
  const box = $("message");
  box.hidden = false;
  box.className = outcome.status;
  const prefix = outcome.status === "conflict" ? "Conflict: " : "";
  box.replaceChildren(text("span", prefix + outcome.message));
  if (outcome.hint) box.appendChild(text("span", outcome.hint, "where"));
}

async function send(path, body) {
  if (!who()) { say({status: "refused", message: "pick a display name first"}); $("join-name").focus(); return null; }
  const response = await fetch(path, {
    method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify({...body, who: who()}),
  });
  let outcome;
  try { outcome = await response.json(); } catch { outcome = {status: "refused", message: `the board answered ${response.status}`}; }
  say(outcome);
  await refresh();  // the current state, whether it worked or not
  return outcome;
}

async function submitForm(event) {
  event.preventDefault();
  const d = details();
  const name = kind === "listener" ? `${d.on} → ${d.command}` : $("f-name").value.trim();
  const file = state.files.length > 1 ? $("f-file").value : "";
  const outcome = await send("/change", {action: "add", kind, name, details: d, base: formBase, file});
  if (outcome && outcome.status === "ok") { $("f-name").value = ""; formBase = state.version; $("f-name").focus(); }
}

function setUp() {
  $("kinds").replaceChildren(...KINDS.map(([k, key, label]) => {
    const b = text("button", label);
    b.type = "button";
    b.dataset.kind = k;
    b.appendChild(text("kbd", key));
    b.onclick = () => openForm(k);
    return b;
  }));
  $("form").onsubmit = submitForm;
  $("cancel").onclick = closeForm;
  $("undo").onclick = () => send("/undo", {base: state.version});
  $("join").onsubmit = e => {
    e.preventDefault();
    const name = $("join-name").value.trim();
    if (name) { localStorage.setItem("esp-name", name); showWho(); }
  };
  $("who-name").onclick = () => { localStorage.removeItem("esp-name"); showWho(); $("join-name").value = ""; $("join-name").focus(); };
  document.addEventListener("keydown", e => {
    if (!state || !state.editable || e.ctrlKey || e.metaKey || e.altKey) return;
    if (e.key === "Escape") { closeForm(); return; }
    if (["INPUT", "SELECT", "TEXTAREA"].includes(document.activeElement.tagName)) return;
    const found = KINDS.find(([, key]) => key === e.key);
    if (found) { e.preventDefault(); openForm(found[0]); }
    else if (e.key === "u" && state.undo) { e.preventDefault(); $("undo").click(); }
    else if (e.key === "n") { e.preventDefault(); $("who-name").click(); }
  });
  const events = new EventSource("/events");
  events.addEventListener("update", () => refresh());
  events.onopen = () => { $("live").textContent = "live"; };
  events.onerror = () => { $("live").textContent = "reconnecting…"; };
  refresh();
}

setUp();
