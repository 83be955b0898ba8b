#include "hints.hpp"

namespace kazasu::points {

// Every hint says what the resident can do next; none names the card.
Hint hint_for(std::string_view reason) {
  if (reason == "ok" || reason == "not_registered") {
    return {
        "not_registered",
        "This card has no points account. The resident can register at a city counter or in the app "
        "(consent is recorded then).",
        "このカードはポイントに登録されていません。市の窓口またはアプリで登録できます（登録時に同意を確認します）。"};
  }
  if (reason == "unconfirmed_offline") {
    return {"unconfirmed_offline",
            "The city's points system cannot be reached and this card was never seen here: no points now. Ask the "
            "resident to tap again later.",
            "市のポイントシステムに接続できず、このカードを確認できません。ポイントは付与されていません。"
            "後ほどもう一度かざしてください。"};
  }
  if (reason == "account_suspended") {
    return {"account_suspended", "The account is suspended: no points are earned or spent until the city resumes it.",
            "このアカウントは停止中です。再開されるまでポイントの付与・利用はできません。"};
  }
  if (reason == "account_closed") {
    return {"account_closed", "The account is closed. The resident may register again at a city counter.",
            "このアカウントは解約済みです。市の窓口で再度登録できます。"};
  }
  if (reason == "daily_limit") {
    return {"daily_limit", "Already awarded here today: this facility awards a visit a limited number of times a day.",
            "本日はこの施設でのポイント付与の上限に達しています。"};
  }
  if (reason == "yearly_cap") {
    return {"yearly_cap", "The yearly cap is reached: no more points this fiscal year.",
            "今年度の獲得上限に達しています。今年度はこれ以上付与されません。"};
  }
  if (reason == "no_rule") {
    return {"no_rule", "This reader's facility has no points rule: check the station's points settings.",
            "このリーダーの施設にはポイント付与の設定がありません。設定を確認してください。"};
  }
  if (reason == "unavailable") {
    return {"unavailable", "The city's points system cannot be reached: the balance shown is the last one seen here.",
            "市のポイントシステムに接続できません。表示の残高はこの端末で最後に確認したものです。"};
  }
  if (reason == "expired" || reason == "not_yet_valid") {
    return {std::string(reason), "The card's certificate is not valid today: the card cannot earn points.",
            "カードの電子証明書が有効ではないため、ポイントを付与できません。"};
  }
  if (reason == "pin_locked") {
    return {"pin_locked", "PIN locked: the city office counter resets it.",
            "暗証番号がロックされています。市区町村の窓口で解除してください。"};
  }
  if (reason == "read_failed") {
    return {"read_failed", "Card not read: hold it still on the reader and tap again.",
            "カードを読み取れませんでした。リーダーの上で動かさずに、もう一度かざしてください。"};
  }
  return {"unreadable", "Card not recognised: tap a My Number Card or the city's card again.",
          "カードを認識できませんでした。マイナンバーカードをもう一度かざしてください。"};
}

}  // namespace kazasu::points
