// The desk page: one WebSocket to kazasu-desk, which bridges to the station's MQTT topics.
// Frames from the bridge: {type: "msg", topic, payload, retained}, {type: "reply", id,
// topic, payload}, {type: "error", id, code}, {type: "bridge", broker, site, station}.
// Frames to it: {type: "cmd", id, plugin, command, payload}.
import { t, lang, setLang, hint } from "./i18n.js";
import * as library from "./library.js";
import * as election from "./election.js";
import * as attendance from "./attendance.js";
import * as points from "./points.js";

const $ = (id) => document.getElementById(id);
const COMMAND_TIMEOUT_MS = 15000;

let socket = null;
let socketUp = false;
let brokerUp = false;
let stationOnline = true;
let retryMs = 500;
let nextId = 1;
const waiting = new Map(); // request id -> {resolve, timer}
let chimeOn = true;
let audio = null;
let chimes = 0;
const readers = new Map();
let activePlugins = [];

/** Makes an element: el("p", {class: "x", text: "..."}, child, ...). */
export function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === undefined || value === null) continue;
    if (key === "text") node.textContent = String(value);
    else if (key === "class") node.className = value;
    else if (key.startsWith("data-") || key === "role" || key === "lang" || key === "id" || key.startsWith("aria-")) {
      node.setAttribute(key, value);
    } else node[key] = value;
  }
  for (const child of children) {
    if (child === null || child === undefined) continue;
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

/** "14:05" (or "2027-07-01 14:05" when not today at the station) from an RFC 3339 time. */
export function fmtTime(ts) {
  if (!ts || typeof ts !== "string") return "—";
  const m = ts.match(/^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})(?::[\d.]+)?(Z|[+-]\d{2}:\d{2})?/);
  if (!m) return ts;
  // "today" in the station's own offset, not the browser's zone
  let offsetMin = 0;
  if (m[3] && m[3] !== "Z") offsetMin = (m[3][0] === "-" ? -1 : 1) * (Number(m[3].slice(1, 3)) * 60 + Number(m[3].slice(4, 6)));
  const stationNow = new Date(Date.now() + offsetMin * 60000).toISOString().slice(0, 10);
  return m[1] === stationNow ? m[2] : `${m[1]} ${m[2]}`;
}

/** A definition list from [label, value] pairs (values null are left out). */
export function facts(pairs) {
  const dl = el("dl");
  for (const [label, value] of pairs) {
    if (value === undefined || value === null || value === "") continue;
    dl.append(el("dt", { text: label }), el("dd", { text: value }));
  }
  return dl;
}

/** Fills a card: kind ok/warn/stop/info, a headline, then nodes. */
export function showCard(card, kind, headline, ...nodes) {
  card.dataset.kind = kind;
  card.replaceChildren(el("p", { class: "headline", text: headline }), ...nodes.filter(Boolean));
}

/** Sends a command through the bridge; resolves with the reply's payload. */
export function send(plugin, command, payload = {}) {
  return new Promise((resolve, reject) => {
    if (!socketUp) {
      reject(new Error(t("banner.bridge")));
      return;
    }
    const id = `r${nextId++}`;
    const timer = setTimeout(() => {
      waiting.delete(id);
      reject(new Error(t("timeout")));
    }, COMMAND_TIMEOUT_MS);
    waiting.set(id, { resolve, reject, timer });
    socket.send(JSON.stringify({ type: "cmd", id, plugin, command, payload }));
  });
}

/**
 * Wires a button (or a form's submit) to a command: the button is disabled while the
 * request is out, and `out` shows the reply as `render(reply)` returns it.
 */
export function bindCommand(trigger, out, build, render) {
  const form = trigger.tagName === "FORM" ? trigger : null;
  const button = form ? form.querySelector("button[type=submit]") : trigger;
  const run = async (event) => {
    if (event) event.preventDefault();
    const request = build();
    if (!request) return;
    button.disabled = true;
    out.dataset.kind = "info";
    out.textContent = t("sending");
    try {
      const reply = await send(request.plugin, request.command, request.payload);
      const shown = reply && reply.ok ? render(reply) : null;
      if (reply && reply.ok) {
        out.dataset.kind = shown?.kind || "ok";
        out.textContent = shown?.text || t("ok");
      } else {
        const err = (reply && reply.error) || {};
        out.dataset.kind = "stop";
        out.textContent = `✗ ${t("error.prefix")}: ${err.code || "?"}${err.message ? ` — ${err.message}` : ""}`;
      }
    } catch (e) {
      out.dataset.kind = "stop";
      out.textContent = `✗ ${e.message}`;
    } finally {
      button.disabled = false;
      if (trigger.dataset.keepDisabled === "true") button.disabled = true;
    }
  };
  if (form) form.addEventListener("submit", run);
  else trigger.addEventListener("click", run);
}

/** The chime of a tap: two rising tones from the Web Audio API (no sound files). */
export function chime(kind = "ok") {
  chimes += 1;
  document.body.dataset.chimes = String(chimes);
  if (!chimeOn) return;
  try {
    audio = audio || new AudioContext();
    if (audio.state === "suspended") audio.resume();
    const now = audio.currentTime;
    const tones = kind === "stop" ? [440, 330, 440, 330] : kind === "warn" ? [660, 523] : [880, 1319];
    tones.forEach((frequency, i) => {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      osc.type = "sine";
      osc.frequency.value = frequency;
      const start = now + i * 0.16;
      gain.gain.setValueAtTime(0.0001, start);
      gain.gain.exponentialRampToValueAtTime(0.35, start + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, start + 0.15);
      osc.connect(gain).connect(audio.destination);
      osc.start(start);
      osc.stop(start + 0.16);
    });
  } catch {
    // no audio device: the flash still shows the tap
  }
}

/** The big line at the top: what the last tap did. */
export function showLastTap(kind, text, detail = "") {
  const box = $("last-tap");
  box.dataset.kind = kind;
  const sym = { ok: "✓", warn: "⚠", stop: "✖", info: "ℹ" }[kind] || "•";
  box.querySelector(".sym").textContent = sym;
  $("last-tap-text").textContent = String(text).replace(/^[✓⚠✖✗ℹ★]\s*/u, "");
  $("last-tap-text").removeAttribute("data-i18n");
  $("last-tap-detail").textContent = detail;
  box.classList.remove("flash");
  void box.offsetWidth;
  box.classList.add("flash");
}

function logLine(topic, summary) {
  const list = $("log");
  const now = new Date();
  const time = now.toTimeString().slice(0, 8);
  list.prepend(el("li", { "data-topic": topic }, el("time", { text: time }), el("code", { text: topic }), ` ${summary}`));
  while (list.children.length > 40) list.lastChild.remove();
}

const desk = { t, lang, hint, el, fmtTime, facts, showCard, send, bindCommand, chime, showLastTap, replaying: () => replaying };
const panels = {
  library: library.init(desk),
  election: election.init(desk),
  attendance: attendance.init(desk),
  points: points.init(desk),
};

function applyLanguage() {
  document.documentElement.lang = lang();
  for (const node of document.querySelectorAll("[data-i18n]")) node.textContent = t(node.dataset.i18n);
  const toggle = $("lang-toggle");
  toggle.textContent = lang() === "ja" ? "English" : "日本語";
  toggle.lang = lang() === "ja" ? "en" : "ja";
  $("chime-toggle").querySelector("[data-i18n]").textContent = t(chimeOn ? "chime.on" : "chime.off");
  renderLink();
  renderReaders();
  for (const panel of Object.values(panels)) panel.relabel?.();
}

function renderLink() {
  const state = $("link-state");
  const up = socketUp && brokerUp;
  state.dataset.state = up ? "up" : socketUp ? "down" : "connecting";
  state.querySelector(".sym").textContent = up ? "●" : "✗";
  state.querySelector(".text").textContent = t(up ? "link.up" : "link.down");
  const banner = $("banner");
  let text = "";
  if (!socketUp) text = t("banner.bridge");
  else if (!brokerUp) text = t("banner.broker");
  else if (!stationOnline) text = t("banner.station");
  banner.hidden = text === "";
  banner.dataset.reason = !socketUp ? "bridge" : !brokerUp ? "broker" : !stationOnline ? "station" : "";
  $("banner-text").textContent = text;
}

function renderReaders() {
  const parts = [];
  for (const [name, state] of readers) parts.push(`${name}: ${t(`reader.${state}`)}`);
  $("readers").textContent = parts.join("　");
}

function onStatus(payload) {
  stationOnline = payload.state === "online";
  $("station").textContent = `${payload.site ?? ""} / ${payload.station ?? ""}`;
  activePlugins = (payload.plugins || []).map((p) => p.name);
  for (const section of document.querySelectorAll(".panel[data-plugin]")) {
    section.hidden = !activePlugins.includes(section.dataset.plugin);
  }
  renderLink();
}

// The last message of each topic, so that a change of language redraws what is shown.
const history = new Map();
let replaying = false;

function replay() {
  replaying = true;
  try {
    for (const [topic, entry] of history) onMessage(topic, entry.payload, entry.retained);
  } finally {
    replaying = false;
  }
}

function onMessage(topic, payload, retained) {
  if (!replaying) {
    history.delete(topic);
    history.set(topic, { payload, retained });
    if (history.size > 200) history.delete(history.keys().next().value);
  }
  if (topic === "status") {
    onStatus(payload);
    return;
  }
  const slash = topic.indexOf("/");
  if (slash < 0) return;
  const plugin = topic.slice(0, slash);
  const event = topic.slice(slash + 1);
  if (plugin === "readers") {
    readers.set(event, payload.state);
    renderReaders();
    return;
  }
  if (event.startsWith("cmd/")) return; // commands sent by others
  const panel = panels[plugin];
  let summary = "";
  if (panel) {
    summary = panel.handle(event, payload, retained) || "";
  } else if (plugin !== "daemon" && !retained) {
    const other = $("panel-other");
    other.hidden = false;
    showCard($("other-card"), "info", `${plugin}/${event}`, el("p", { class: "sub", text: hint(payload) }));
  }
  if (plugin === "daemon" && event === "unclaimed") showLastTap("warn", t("tap.unclaimed"), payload.reader || "");
  if (!retained && !replaying) {
    // A tap's outcome (it names its reader) rings the chime; command results do not.
    if (payload && typeof payload === "object" && payload.reader) {
      const kind = $("last-tap").dataset.kind;
      chime(kind === "stop" ? "stop" : kind === "warn" ? "warn" : "ok");
    }
    logLine(topic, summary || hint(payload));
  }
}

function onFrame(frame) {
  if (frame.type === "bridge") {
    brokerUp = frame.broker === "up";
    if (!$("station").textContent.trim() || $("station").textContent === "—") {
      $("station").textContent = `${frame.site} / ${frame.station}`;
    }
    renderLink();
  } else if (frame.type === "msg") {
    onMessage(frame.topic, frame.payload, frame.retained);
  } else if (frame.type === "reply" || frame.type === "error") {
    const entry = waiting.get(frame.id);
    if (!entry) return;
    waiting.delete(frame.id);
    clearTimeout(entry.timer);
    if (frame.type === "reply") entry.resolve(frame.payload);
    else entry.resolve({ ok: false, error: { code: frame.code, message: "kazasu-desk" } });
  }
}

function connect() {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  socket = new WebSocket(`${scheme}://${window.location.host}/ws`);
  socket.addEventListener("open", () => {
    socketUp = true;
    retryMs = 500;
    renderLink();
  });
  socket.addEventListener("message", (event) => {
    try {
      onFrame(JSON.parse(event.data));
    } catch (e) {
      console.error("bad frame", e);
    }
  });
  socket.addEventListener("close", () => {
    socketUp = false;
    brokerUp = false;
    for (const [id, entry] of waiting) {
      clearTimeout(entry.timer);
      entry.reject(new Error(t("banner.bridge")));
      waiting.delete(id);
    }
    renderLink();
    setTimeout(connect, retryMs);
    retryMs = Math.min(retryMs * 2, 5000);
  });
}

function setupTools() {
  bindCommand(
    $("cmd-form"),
    $("cmd-out"),
    () => {
      let payload;
      try {
        payload = JSON.parse($("cmd-payload").value || "{}");
      } catch {
        payload = null;
      }
      if (!payload || typeof payload !== "object" || Array.isArray(payload)) {
        $("cmd-out").dataset.kind = "stop";
        $("cmd-out").textContent = t("tools.bad_json");
        return null;
      }
      return { plugin: $("cmd-plugin").value.trim(), command: $("cmd-name").value.trim(), payload };
    },
    (reply) => ({ kind: "ok", text: `${t("ok")}\n${JSON.stringify(reply.result ?? {}, null, 1).slice(0, 4000)}` }),
  );
}

$("lang-toggle").addEventListener("click", () => {
  setLang(lang() === "ja" ? "en" : "ja");
  applyLanguage();
  replay();
});
$("chime-toggle").addEventListener("click", () => {
  chimeOn = !chimeOn;
  $("chime-toggle").setAttribute("aria-pressed", String(chimeOn));
  applyLanguage();
  if (chimeOn) chime("ok");
});
// Browsers start audio only after a gesture: the first key or click prepares it.
const unlock = () => {
  try {
    audio = audio || new AudioContext();
    audio.resume();
  } catch {
    // no audio
  }
};
window.addEventListener("pointerdown", unlock, { once: true });
window.addEventListener("keydown", unlock, { once: true });

setupTools();
applyLanguage();
connect();
