// The attendance panel: clock in and out, the live roster (retained) and, in a declared
// disaster, the roll-call with fatigue.
export function init(desk) {
  const { t, hint, el, showCard, showLastTap, fmtTime } = desk;
  const $ = (id) => document.getElementById(id);
  const card = $("attendance-card");
  let disasterOn = false;

  const button = $("attendance-disaster-btn");
  const relabel = () => {
    button.textContent = t(disasterOn ? "attendance.end" : "attendance.declare");
    button.removeAttribute("data-i18n");
  };
  desk.bindCommand(
    $("attendance-disaster-form"),
    $("attendance-disaster-out"),
    () => {
      const name = $("attendance-disaster-name").value.trim();
      const payload = { on: !disasterOn };
      if (!disasterOn && name) payload.name = name;
      return { plugin: "attendance", command: "disaster", payload };
    },
    (reply) => {
      const r = reply.result || {};
      disasterOn = Boolean(r.disaster);
      relabel();
      return { kind: disasterOn ? "warn" : "ok", text: `${t("ok")}: ${r.name || ""} (${fmtTime(r.since)})` };
    },
  );

  function hours(value) {
    return value === undefined || value === null ? "—" : `${value} h`;
  }

  function renderRoster(p) {
    disasterOn = Boolean(p.disaster);
    relabel();
    $("attendance-count").textContent = String(p.count ?? (p.in || []).length);
    const rows = (p.in || []).map((e) =>
      el("tr", { "data-staff": e.staff, "data-kind": e.over_limit ? "warn" : "" },
        el("td", { text: e.staff }),
        el("td", { text: e.section }),
        el("td", { text: fmtTime(e.since) }),
        el("td", { text: e.hours_on_duty !== undefined ? `${hours(e.hours_on_duty)}${e.over_limit ? ` ${t("attendance.over")}` : ""}` : "—" })));
    $("attendance-roster").querySelector("tbody").replaceChildren(...rows);
  }

  function renderRollcall(p) {
    const box = $("attendance-rollcall");
    box.hidden = !p.active && !p.disaster;
    $("attendance-rollcall-name").textContent = p.disaster ? `— ${p.disaster.name}${p.active ? "" : ` (${fmtTime(p.disaster.ended)})`}` : "";
    $("attendance-rollcall-summary").textContent = t("attendance.rollcall_summary", p);
    const rows = (p.staff || []).map((s) =>
      el("tr", { "data-staff": s.staff, "data-kind": !s.reported ? "stop" : s.doctor_interview ? "warn" : "" },
        el("td", { text: `${s.staff} (${s.section})` }),
        el("td", { text: s.reported ? `${t("attendance.yes")} ${fmtTime(s.first_report)}` : t("attendance.no") }),
        el("td", { text: s.on_duty ? `${t("attendance.yes")} ${fmtTime(s.since)}` : t("attendance.no") }),
        el("td", { text: hours(s.hours_on_duty) }),
        el("td", { text: String(s.days_without_rest ?? "—") }),
        el("td", { text: s.doctor_interview ? t("attendance.needed") : "—" })));
    box.querySelector("tbody").replaceChildren(...rows);
  }

  function handle(event, p, retained) {
    if (event === "roster") {
      renderRoster(p);
      return "";
    }
    if (event === "rollcall") {
      renderRollcall(p);
      return "";
    }
    if (retained) return "";
    switch (event) {
      case "clock": {
        const text = p.direction === "in" ? t("attendance.in", { staff: p.staff }) : t("attendance.out", { staff: p.staff, hours: p.worked_h });
        const warn = p.short_rest || p.auto_closed;
        showCard(card, warn ? "warn" : "ok", text,
          el("p", { class: "sub", text: `${p.section} · ${fmtTime(p.time)}${p.began_at ? ` · ${p.began_at}` : ""}` }),
          p.message ? el("p", { class: "sub", text: p.message }) : null);
        showLastTap(warn ? "warn" : "ok", text, `${t("attendance.title")} · ${fmtTime(p.time)}`);
        return text;
      }
      case "ignored": {
        const text = t("attendance.ignored", { staff: p.staff });
        showCard(card, "info", `ℹ ${text}`);
        showLastTap("info", text, "");
        return text;
      }
      case "unknown_card": {
        const text = p.message || p.reason;
        showCard(card, "warn", `⚠ ${t("attendance.unknown")}`, el("p", { class: "sub", text }));
        showLastTap("warn", t("attendance.unknown"), p.reason);
        return text;
      }
      case "warning": {
        const text = t("attendance.warning", p);
        showCard(card, "warn", text);
        return text;
      }
      case "alert": {
        const text = t("attendance.alert", { staff: p.staff, hours: p.hours_on_duty });
        showCard(card, "stop", text);
        return text;
      }
      case "enrolled": {
        const text = t("attendance.enrolled", { staff: p.staff });
        showCard(card, "ok", text);
        if (p.reader) showLastTap("ok", text, "");
        return text;
      }
      case "enroll_refused":
        showCard(card, "stop", `✗ ${p.staff}: ${p.reason}`, el("p", { class: "sub", text: p.message || hint(p) }));
        return p.reason;
      default:
        return "";
    }
  }
  return { handle, relabel };
}
