// The library panel: the patron at the counter and what the ILS says, or the staff hint
// (link, relink, PIN locked); linking a card to a patron number.
export function init(desk) {
  const { t, hint, el, facts, showCard, showLastTap } = desk;
  const $ = (id) => document.getElementById(id);
  const card = $("library-card");

  desk.bindCommand(
    $("library-link-form"),
    $("library-link-out"),
    () => {
      const patron = $("library-link-patron").value.trim();
      return patron ? { plugin: "library", command: "link", payload: { patron } } : null;
    },
    (reply) => {
      const r = reply.result || {};
      return { kind: "info", text: t("library.armed", { reader: r.reader, until: desk.fmtTime(r.expires_at), patron: r.patron }) };
    },
  );

  function ils(payload) {
    if (payload.ils === "off" || payload.ils === undefined) return el("p", { class: "sub", text: `${t("library.ils")}: ${t("library.ils_off")}` });
    if (payload.ils === "unavailable") {
      return el("p", { class: "sub", "data-kind": "warn", text: `⚠ ${t("library.ils")}: ${t("library.ils_unavailable", { reason: payload.ils_reason })}` });
    }
    const i = payload.ils;
    const state = !i.valid_patron ? `✗ ${t("library.invalid")}` : i.charge_privileges_denied ? `⚠ ${t("library.blocked")}` : `✓ ${t("library.valid")}`;
    const limit = (n, max) => (n === null || n === undefined ? null : max ? `${n} / ${max}` : String(n));
    return facts([
      [t("library.ils"), state],
      [t("library.charged"), limit(i.charged_items, i.charged_items_limit)],
      [t("library.holds"), limit(i.holds, i.hold_items_limit)],
      [t("library.overdue"), limit(i.overdue_items)],
      [t("library.fees"), i.fee_amount ? `${i.fee_amount} ${i.currency || ""}` : null],
    ]);
  }

  function handle(event, p, retained) {
    if (retained) return "";
    switch (event) {
      case "patron": {
        const blocked = p.ils && typeof p.ils === "object" && (!p.ils.valid_patron || p.ils.charge_privileges_denied);
        const kind = blocked ? "warn" : "ok";
        const headline = t("library.patron_headline", { patron: p.patron });
        showCard(card, kind, `${kind === "ok" ? "✓" : "⚠"} ${headline}`, ils(p));
        showLastTap(kind, headline, `${t("library.title")} · ${p.reader}`);
        return headline;
      }
      case "unknown_card": {
        const kind = p.reason === "pin_locked" || p.reason === "expired" ? "stop" : "warn";
        const text = hint(p);
        showCard(card, kind, `${kind === "stop" ? "✖" : "⚠"} ${t("library.unknown")}`, el("p", { class: "sub", text }),
          el("p", { class: "muted", text: `${p.reason} · ${p.card_kind || ""}` }));
        showLastTap(kind, text || t("library.unknown"), `${t("library.title")} · ${p.reason}`);
        return `${p.reason}: ${text}`;
      }
      case "linked": {
        const text = t(p.replaced ? "library.relinked" : "library.linked", { patron: p.patron });
        showCard(card, "ok", text);
        showLastTap("ok", text, t("library.title"));
        $("library-link-out").dataset.kind = "ok";
        $("library-link-out").textContent = text;
        return text;
      }
      case "link_refused": {
        const text = hint(p);
        showCard(card, "stop", t("library.link_refused"), el("p", { class: "sub", text }),
          el("p", { class: "muted", text: `${p.reason}${p.linked_patron ? ` · ${p.linked_patron}` : ""}` }));
        showLastTap("stop", t("library.link_refused"), text);
        return `${p.reason}: ${text}`;
      }
      case "link_conflict": {
        const text = t("library.conflict", { linked: p.linked_patron });
        showCard(card, "warn", text, el("p", { class: "sub", text: hint(p) }));
        return text;
      }
      case "unlinked":
        return t("library.unlinked", { patron: p.patron });
      case "error":
        showCard(card, "stop", `✗ ${p.reason}`, el("p", { class: "sub", text: p.message || "" }));
        return p.message;
      default:
        return "";
    }
  }
  return { handle };
}
