// The election panel: the match and its confirm button, the hard already_received stop
// with where and when, refusals, the declaration (printed through @media print) and the
// counts.
export function init(desk) {
  const { t, hint, el, facts, showCard, showLastTap, fmtTime } = desk;
  const $ = (id) => document.getElementById(id);
  const card = $("election-card");
  const confirm = $("election-confirm");
  const print = $("election-print");
  const out = $("election-confirm-out");
  let match = null; // {election, voter_number}

  const kindName = (k) => (k ? t(`election.${k}`) : null);

  desk.bindCommand(
    confirm,
    out,
    () => (match ? { plugin: "election", command: "confirm", payload: { election: match.election, voter_number: match.voter_number } } : null),
    (reply) => {
      const r = reply.result || {};
      match = null;
      confirm.dataset.keepDisabled = "true";
      if (r.received) return { kind: "ok", text: t("election.confirmed", { at: fmtTime(r.received_at) }) };
      return { kind: "stop", text: t("election.not_received", { reason: r.reason || r.event || "?" }) };
    },
  );
  print.addEventListener("click", () => window.print());

  function setMatch(value) {
    match = value;
    confirm.disabled = !value;
    confirm.dataset.keepDisabled = value ? "false" : "true";
  }

  function fillDeclaration(p) {
    const set = (id, value) => {
      $(`decl-${id}`).textContent = value ?? "";
    };
    set("election_name", p.election_name);
    set("election_day", p.election_day);
    set("date", p.date);
    set("polling_station", p.polling_station);
    set("voter_number", p.voter_number);
    set("district", p.district);
    set("name", [p.name_kanji, p.name_kana ? `（${p.name_kana}）` : ""].join("").trim());
    set("address", p.address);
    const reasons = $("decl-reasons");
    reasons.replaceChildren(
      ...(p.reasons || []).map((r) =>
        el("li", { "data-code": r.code }, `${r.code}. ${r.ja}`, el("br"), el("small", { text: r.en }))),
    );
    $("decl-foot").textContent = `${p.election} · ${p.id ?? ""}`;
    print.disabled = false;
  }

  function renderCounts(p) {
    const box = $("election-counts");
    const rows = [];
    for (const e of p.elections || []) {
      const kinds = [["early", e.early], ["election_day", e.election_day], ["absentee", e.absentee]]
        .filter(([, n]) => n).map(([k, n]) => `${kindName(k)} ${n}`).join(" · ");
      rows.push(el("tr", { "data-election": e.election },
        el("td", { text: e.election }),
        el("td", { class: "receptions", text: String(e.receptions ?? 0) }),
        el("td", { text: kinds || "—" }),
        el("td", { text: e.already_received ? `✖ ${e.already_received}` : "0" })));
    }
    if (!rows.length) {
      box.replaceChildren(el("p", { class: "muted", text: "—" }));
      return;
    }
    box.replaceChildren(el("table", { class: "table" },
      el("thead", {}, el("tr", {}, el("th", { text: t("election.title") }), el("th", { text: t("election.total") }), el("th", { text: t("election.kind") }), el("th", { text: t("election.already_short") }))),
      el("tbody", {}, ...rows)));
  }

  function handle(event, p, retained) {
    if (event === "counts") {
      renderCounts(p);
      return retained ? "" : t("election.counts");
    }
    if (retained) return "";
    switch (event) {
      case "match": {
        setMatch({ election: p.election, voter_number: p.voter_number });
        out.textContent = "";
        out.removeAttribute("data-kind");
        const checks = (p.checks || []).includes("face_photo") ? t("election.check_face") : "";
        showCard(card, "info", t("election.match", { voter: p.voter_number }),
          el("p", { class: "sub", text: `${checks}` }),
          facts([[t("election.voter"), p.voter_number], [t("election.district"), p.district], [t("election.kind"), kindName(p.kind)],
            [t("election.station"), p.assigned_station], [t("election.note"), p.eligibility_note]]),
          el("p", { class: "muted", text: p.election }));
        showLastTap("info", t("election.match", { voter: p.voter_number }), checks);
        if (!desk.replaying()) confirm.focus();
        return t("election.match", { voter: p.voter_number });
      }
      case "reception": {
        setMatch(null);
        showCard(card, "ok", t("election.reception", { voter: p.voter_number }),
          facts([[t("election.district"), p.district], [t("election.kind"), kindName(p.kind)], [t("election.already_when"), fmtTime(p.received_at)]]));
        if (p.reader) showLastTap("ok", t("election.reception", { voter: p.voter_number }), "");
        return t("election.reception", { voter: p.voter_number });
      }
      case "declaration":
        fillDeclaration(p);
        return t("election.declaration_ready");
      case "already_received": {
        setMatch(null);
        showCard(card, "stop", t("election.already"),
          facts([[t("election.voter"), p.voter_number], [t("election.already_where"), p.received_at_station],
            [t("election.already_when"), fmtTime(p.received_at)], [t("election.already_kind"), kindName(p.received_kind)]]),
          el("p", { class: "sub", text: hint(p) }));
        showLastTap("stop", t("election.already"), `${p.received_at_station} · ${fmtTime(p.received_at)}`);
        return `${t("election.already")} ${p.received_at_station}`;
      }
      case "reception_refused":
        setMatch(null);
        showCard(card, "stop", t("election.refused"), el("p", { class: "sub", text: hint(p) }), el("p", { class: "muted", text: p.reason }));
        showLastTap("stop", t("election.refused"), hint(p));
        return `${p.reason}: ${hint(p)}`;
      case "reception_unavailable":
        setMatch(null);
        showCard(card, "warn", t("election.unavailable"), el("p", { class: "sub", text: hint(p) }));
        showLastTap("warn", t("election.unavailable"), hint(p));
        return t("election.unavailable");
      case "unknown_card":
        showCard(card, "warn", `⚠ ${t("election.unknown")}`, el("p", { class: "sub", text: hint(p) }), el("p", { class: "muted", text: p.reason }));
        showLastTap("warn", hint(p) || t("election.unknown"), p.reason);
        return `${p.reason}: ${hint(p)}`;
      case "linked":
        showCard(card, "ok", t("election.linked", { voter: p.voter_number }));
        showLastTap("ok", t("election.linked", { voter: p.voter_number }), "");
        return t("election.linked", { voter: p.voter_number });
      case "link_refused":
        showCard(card, "stop", `✗ ${p.reason}`, el("p", { class: "sub", text: hint(p) }));
        return `${p.reason}`;
      case "paper_conflict":
        showCard(card, "stop", `✖ ${p.voter_number}: ${p.received_at_station}`, el("p", { class: "sub", text: hint(p) }));
        return hint(p);
      default:
        return "";
    }
  }
  return { handle };
}
