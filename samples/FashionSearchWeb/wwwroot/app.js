// The page: no framework, no build step. State: the current reference (a gallery id or an uploaded file), the turns
// so far (reference + text each), and the last results.
"use strict";
const $ = (id) => document.getElementById(id);
const state = { reference: null, turns: [], lastText: "" };

function el(tag, props = {}, ...children) {
  const node = Object.assign(document.createElement(tag), props);
  for (const child of children) node.append(child);
  return node;
}

async function problemText(response) {
  try {
    const problem = await response.json();
    return (problem.title ? problem.title + ": " : "") + (problem.detail || response.statusText);
  } catch {
    return `${response.status} ${response.statusText}`;
  }
}

function showError(message) {
  const box = $("error");
  box.textContent = message || "";
  box.hidden = !message;
}

// Startup: poll /health and show the stage, count and ETA until the service is ready.
async function waitUntilReady() {
  const status = $("status");
  for (;;) {
    let health;
    try {
      health = await (await fetch("/health", { cache: "no-store" })).json();
    } catch {
      status.textContent = "Waiting for the service...";
      await new Promise((r) => setTimeout(r, 2000));
      continue;
    }
    if (health.status === "ready") {
      status.textContent = "";
      return;
    }
    if (health.status === "failed") {
      status.textContent = "The service could not start: " + (health.message || "see the server log.");
      throw new Error("startup failed");
    }
    status.replaceChildren(el("span", { textContent: "Starting: " + health.stage }));
    if (health.total) {
      const eta = health.etaSeconds != null ? `, about ${formatSeconds(health.etaSeconds)} left` : "";
      status.append(" ", el("progress", { max: health.total, value: health.done ?? 0 }),
        ` ${health.done}/${health.total}${eta}`);
    }
    if (health.message) status.append(el("div", { className: "hint", textContent: health.message }));
    await new Promise((r) => setTimeout(r, 2000));
  }
}

function formatSeconds(s) {
  s = Math.ceil(s);
  return s >= 60 ? `${Math.floor(s / 60)} min ${s % 60} s` : `${s} s`;
}

function productButton(item, onClick, extraClass = "") {
  const button = el("button", { type: "button", className: extraClass },
    el("img", { src: item.imageUrl, alt: item.title || `Product ${item.id}`, loading: "lazy" }),
    el("span", { className: "title", textContent: item.title || item.id }));
  if (item.score != null) button.append(el("span", { className: "score", textContent: `score ${item.score.toFixed(2)}` }));
  button.addEventListener("click", onClick);
  return el("li", {}, button);
}

async function loadGallery() {
  const response = await fetch("/api/gallery/random?n=16");
  if (!response.ok) return showError(await problemText(response));
  const items = await response.json();
  $("gallery").replaceChildren(...items.map((item) =>
    productButton(item, () => setReference({ id: item.id, imageUrl: item.imageUrl, title: item.title }, true))));
}

async function loadExample() {
  const response = await fetch("/api/examples?n=1");
  if (!response.ok) return showError(await problemText(response));
  const [example] = await response.json();
  if (!example) return showError("This gallery has no val-set queries.");
  setReference({ id: example.referenceId, imageUrl: example.imageUrl, title: example.referenceTitle }, true);
  $("text").value = example.text;
  $("text").focus();
}

// A new reference. fresh: a new search session (the turns start over); else one more turn of refinement.
function setReference(reference, fresh) {
  if (fresh) state.turns = [];
  else if (state.reference) state.turns.push({ reference: state.reference, text: state.lastText });
  state.reference = reference;
  const figure = $("reference");
  figure.replaceChildren(el("img", { src: reference.imageUrl, alt: "Reference: " + (reference.title || reference.id || "uploaded photo") }),
    el("figcaption", { textContent: reference.title || reference.id || "Uploaded photo" }));
  renderTurns();
  $("text").value = fresh ? $("text").value : "";
  $("text").focus();
}

function renderTurns() {
  const items = state.turns.map((turn, i) => el("li", {},
    el("img", { src: turn.reference.imageUrl, alt: "" }), `"${turn.text}"`));
  if (state.reference) items.push(el("li", { "aria-current": "step" }, el("img", { src: state.reference.imageUrl, alt: "" }), "now"));
  $("turns").replaceChildren(...items);
  $("turns").hidden = state.turns.length === 0;
}

async function search(event) {
  event.preventDefault();
  showError("");
  if (!state.reference) return showError("Choose a reference first: a product above or an uploaded photo.");
  const text = $("text").value.trim();
  let request;
  if (state.reference.file) {
    const form = new FormData();
    form.append("image", state.reference.file);
    form.append("text", text);
    form.append("k", $("k").value);
    form.append("precision", $("precision").value);
    request = { method: "POST", body: form };
  } else {
    request = {
      method: "POST", headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ referenceId: state.reference.id, text, k: Number($("k").value), precision: $("precision").value }),
    };
  }
  $("search").disabled = true;
  try {
    const response = await fetch("/api/search", request);
    if (!response.ok) return showError(await problemText(response));
    const answer = await response.json();
    state.lastText = answer.text;
    if (answer.referenceTitle && !state.reference.title) {
      state.reference.title = answer.referenceTitle; // a shared link names only the id
      $("reference").querySelector("figcaption").textContent = answer.referenceTitle;
    }
    const t = answer.timingsMs;
    $("timings").textContent = `(${answer.results.length} in ${t.total.toFixed(0)} ms: decode ${t.decode.toFixed(0)}, encoders ${t.encoders.toFixed(0)}, search ${t.search.toFixed(1)})`;
    $("results").replaceChildren(...answer.results.map((hit) =>
      productButton(hit, () => setReference({ id: hit.id, imageUrl: hit.imageUrl, title: hit.title }, false), hit.isTarget ? "target" : "")));
    $("results").dataset.query = answer.text;
    // A gallery reference makes a shareable link: /?ref=ID&text=...
    if (answer.referenceId) history.replaceState(null, "", `?ref=${encodeURIComponent(answer.referenceId)}&text=${encodeURIComponent(answer.text)}`);
  } catch (e) {
    showError("The search failed: " + e.message);
  } finally {
    $("search").disabled = false;
  }
}

function upload() {
  const file = $("upload").files[0];
  if (!file) return;
  showError("");
  setReference({ file, imageUrl: URL.createObjectURL(file), title: file.name }, true);
  $("upload").value = "";
}

async function main() {
  await waitUntilReady();
  $("app").hidden = false;
  $("shuffle").addEventListener("click", loadGallery);
  $("example").addEventListener("click", loadExample);
  $("upload").addEventListener("change", upload);
  $("query").addEventListener("submit", search);
  await loadGallery();
  const link = new URLSearchParams(location.search);
  if (link.get("ref")) {
    const id = link.get("ref");
    setReference({ id, imageUrl: "/api/images/" + encodeURIComponent(id), title: null }, true);
    $("text").value = link.get("text") || "";
    if ($("text").value) $("query").requestSubmit();
  }
}
main();
