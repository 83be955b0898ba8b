#include "hints.hpp"

namespace kazasu::election {

// Every hint ends in the fallback that always works: reception by the roll
// extract (名簿抄本), the same check as for a voter without an entry ticket.
Hint hint_for(std::string_view status) {
  if (status == "ok") {
    return {"not_linked",
            "Card not linked to a voter of this election: receive the voter by the roll (name, address, date "
            "of birth), as without an entry ticket.",
            "このカードは今回の選挙の選挙人と連携されていません。入場券がない場合と同様に、"
            "選挙人名簿（氏名・住所・生年月日）で本人確認して受付してください。"};
  }
  if (status == "expired" || status == "not_yet_valid") {
    return {std::string(status),
            "The card's certificate is not valid today: receive the voter by the roll, as without an entry ticket.",
            "カードの電子証明書が有効ではありません。選挙人名簿で本人確認して受付してください。"};
  }
  if (status == "pin_locked") {
    return {"pin_locked",
            "PIN locked (the city office counter resets it): receive the voter by the roll, as without an entry "
            "ticket.",
            "暗証番号がロックされています（解除は市区町村の窓口）。選挙人名簿で本人確認して受付してください。"};
  }
  if (status == "pin_wrong" || status == "pin_required") {
    return {std::string(status),
            "PIN not accepted: the voter may enter it again and tap once more, or be received by the roll.",
            "暗証番号が確認できませんでした。もう一度入力してかざすか、選挙人名簿で受付してください。"};
  }
  if (status == "read_failed") {
    return {"read_failed", "Card not read: hold it still on the reader and tap again.",
            "カードを読み取れませんでした。リーダーの上で動かさずに、もう一度かざしてください。"};
  }
  return {"unreadable", "Card not recognised: receive the voter by the roll, as without an entry ticket.",
          "カードを認識できませんでした。選挙人名簿で本人確認して受付してください。"};
}

Hint not_found_hint(bool read_basic_four) {
  if (!read_basic_four) return hint_for("ok");
  return {"not_found",
          "The card's name, address and birth date match no single entry of the roll: receive the voter by the "
          "roll, as without an entry ticket (a moved voter or a variant character is found by staff).",
          "カードの氏名・住所・生年月日に一致する名簿の登録がありません。入場券がない場合と同様に、"
          "選挙人名簿で本人確認して受付してください。"};
}

Hint basic_four_hint(std::string_view status) {
  if (status == "no_pin") {
    return {"basic_four_no_pin",
            "The card is not linked: ask the voter to enter the card-face PIN (4 digits) and tap again, or "
            "receive the voter by the roll.",
            "カードが連携されていません。券面事項入力補助用暗証番号（4桁）を入力してもう一度かざすか、"
            "選挙人名簿で受付してください。"};
  }
  if (status == "pin_wrong") {
    return {"basic_four_pin_wrong",
            "Card-face PIN not accepted: the voter may enter it again and tap once more, or be received by the "
            "roll.",
            "券面事項入力補助用暗証番号が違います。もう一度入力してかざすか、選挙人名簿で受付してください。"};
  }
  if (status == "pin_locked") {
    return {"basic_four_pin_locked",
            "Card-face PIN locked (the city office counter resets it): receive the voter by the roll.",
            "券面事項入力補助用暗証番号がロックされています（解除は市区町村の窓口）。選挙人名簿で受付してください。"};
  }
  return {"basic_four_unavailable", "The card's data could not be read: receive the voter by the roll.",
          "カードの券面事項を読み取れませんでした。選挙人名簿で受付してください。"};
}

}  // namespace kazasu::election
