#include "hints.hpp"

namespace kazasu::library {

Hint hint_for(std::string_view status) {
  if (status == "ok") {
    // A renewed certificate (every 5 years) or a reissued card is a new token the
    // plugin has never seen; it cannot be told apart from a card never linked.
    return {"not_linked",
            "Card not linked: link it at the counter. A renewed certificate or reissued card also needs "
            "relinking; the patron's number and history stay the same.",
            "このカードは図書館の利用者番号と連携されていません。カウンターで連携登録してください。"
            "電子証明書の更新やカードの再発行の後も再登録が必要です（利用者番号と履歴はそのままです）。"};
  }
  if (status == "expired") {
    return {"expired",
            "Certificate expired: the holder renews it at the city office; lend with the library card meanwhile.",
            "電子証明書の有効期限が切れています。市区町村の窓口で更新してください。"
            "それまでは図書館の利用者カードで貸出できます。"};
  }
  if (status == "not_yet_valid") {
    return {"not_yet_valid", "Certificate not valid yet: lend with the library card.",
            "電子証明書がまだ有効になっていません。図書館の利用者カードで貸出してください。"};
  }
  if (status == "pin_locked") {
    return {"pin_locked", "PIN locked: send the holder to the city office counter; the library cannot reset it.",
            "暗証番号がロックされています。図書館では解除できません。市区町村の窓口をご案内ください。"};
  }
  if (status == "pin_wrong" || status == "pin_required") {
    return {std::string(status), "PIN not accepted: the holder may enter it again and tap once more.",
            "暗証番号が確認できませんでした。ご本人が入力し直して、もう一度かざしてください。"};
  }
  if (status == "read_failed") {
    return {"read_failed", "Card not read: hold it still on the reader and tap again.",
            "カードを読み取れませんでした。リーダーの上で動かさずに、もう一度かざしてください。"};
  }
  if (status == "untrusted" || status == "possession_failed") {
    return {std::string(status), "Card could not be verified: lend with the library card and tell IT staff.",
            "カードを確認できませんでした。図書館の利用者カードで貸出し、担当者に連絡してください。"};
  }
  if (status == "card_not_accepted") {
    return {"card_not_accepted", "Not a card this reader takes: use the library card or a My Number Card.",
            "このリーダーでは使えないカードです。図書館の利用者カードかマイナンバーカードをご利用ください。"};
  }
  return {"unreadable", "Card not recognised: tap again or lend with the library card.",
          "カードを認識できませんでした。もう一度かざすか、図書館の利用者カードをご利用ください。"};
}

}  // namespace kazasu::library
