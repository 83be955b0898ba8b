// The points panel: the award and the balance of the card just tapped, the projects'
// progress (retained) and a donation from that card's balance.
export function init(desk) {
  const { t, hint, el, facts, showCard, showLastTap } = desk;
  const $ = (id) => document.getElementById(id);
  const card = $("points-card");
  let token = null; // the account of the last tap (published for registered accounts only)
  let projects = [];

  const requestId = () => {
    const bytes = new Uint8Array(8);
    crypto.getRandomValues(bytes);
    return `desk-${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;
  };

  desk.bindCommand(
    $("points-donate-form"),
    $("points-donate-out"),
    () => {
      const project = $("points-donate-project").value;
      const n = Number($("points-donate-points").value);
      if (!token || !project || !Number.isInteger(n) || n < 1) return null;
      return { plugin: "points", command: "donate", payload: { token, project, points: n, request_id: requestId() } };
    },
    (reply) => {
      const r = reply.result || {};
      return { kind: "ok", text: t("points.donated", { donated: r.donated, balance: r.balance }) };
    },
  );

  function setToken(value) {
    token = value || null;
    $("points-donate-btn").disabled = !token || projects.length === 0;
  }

  function renderProjects(p) {
    projects = p.projects || [];
    const select = $("points-donate-project");
    const chosen = select.value;
    select.replaceChildren(...projects.filter((x) => x.status === "open").map((x) => el("option", { value: x.project, text: x.project })));
    if (chosen) select.value = chosen;
    $("points-projects").replaceChildren(
      ...projects.map((x) => {
        const state = x.status === "reached" ? t("points.reached") : x.status === "open" ? t("points.open") : t("points.closed");
        const bar = el("progress", { max: x.target, value: x.raised, "aria-label": x.project });
        return el("div", { class: "project", "data-project": x.project },
          el("p", { class: "sub" }, el("strong", { text: x.project }), ` — ${t("points.progress", x)} · ${state}`), bar);
      }),
    );
    if (!projects.length) $("points-projects").replaceChildren(el("p", { class: "muted", text: "—" }));
    setToken(token);
  }

  function handle(event, p, retained) {
    if (event === "projects") {
      renderProjects(p);
      return retained ? "" : t("points.projects");
    }
    if (retained) return "";
    switch (event) {
      case "award": {
        setToken(p.token);
        const text = t("points.award", { n: p.awarded });
        showCard(card, "ok", `★ ${text}`,
          el("p", { class: "sub", text: t("points.balance_line", { balance: p.balance, fy: p.fy_earned, cap: p.yearly_cap }) }),
          facts([["", (p.parts || []).map((x) => `${x.rule === "event" ? x.event : x.facility} +${x.points}`).join(" · ")]]),
          p.capped || p.offline ? el("p", { class: "sub", text: hint(p) }) : null);
        showLastTap("ok", text, t("points.balance_line", { balance: p.balance, fy: p.fy_earned, cap: p.yearly_cap }));
        return `${text} (${p.balance} P)`;
      }
      case "refused": {
        setToken(p.token);
        showCard(card, "warn", t("points.refused"), el("p", { class: "sub", text: hint(p) }),
          el("p", { class: "muted", text: `${p.reason} · ${t("points.balance", { balance: p.balance })}` }));
        showLastTap("warn", t("points.refused"), hint(p));
        return `${p.reason}`;
      }
      case "balance":
        setToken(p.token);
        showCard(card, "info", t("points.balance", { balance: p.balance }),
          el("p", { class: "sub", text: t("points.balance_line", { balance: p.balance, fy: p.fy_earned, cap: p.yearly_cap }) }));
        showLastTap("info", t("points.balance", { balance: p.balance }), "");
        return t("points.balance", { balance: p.balance });
      case "unknown_card":
        setToken(null);
        showCard(card, "warn", `⚠ ${t("points.unknown")}`, el("p", { class: "sub", text: hint(p) }), el("p", { class: "muted", text: p.reason }));
        showLastTap("warn", hint(p) || t("points.unknown"), p.reason);
        return `${p.reason}`;
      case "registered":
        setToken(p.token);
        showCard(card, "ok", t("points.registered"));
        showLastTap("ok", t("points.registered"), "");
        return t("points.registered");
      case "register_refused":
        showCard(card, "stop", `✗ ${p.reason}`, el("p", { class: "sub", text: hint(p) }));
        return p.reason;
      default:
        return "";
    }
  }
  return { handle };
}
