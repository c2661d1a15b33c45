//! What the WeCom platform says: on its cards, in `sansong check` and `sansong run`, and in
//! the log and /healthz when its long connection stops for the operator.

/// A card's title when the words went as a message above it.
pub const CHOOSE_TITLE: &str = "请选择（也可以回复序号或文字）";
/// The title of a card that only carries a notice's buttons.
pub const CARD_TITLE: &str = "请点按钮回复";
/// A pressed option, on its updated card.
pub fn pressed(label: &str) -> String {
    format!("✓ {label}")
}
/// A press on a card no longer remembered (after a restart).
pub const PRESSED: &str = "✓ 已收到";

/// Why a member cannot be reached on WeCom (shown in receipts as 无法送达).
pub const UNREACHABLE: &str = "企业微信：此人还没有在单聊中给机器人发过消息，机器人不能先发（93006）";

pub const NO_SECRET: &str =
    "已设置 SANSONG_WECOM_BOT_ID，但没有设置 SANSONG_WECOM_SECRET（智能机器人的 Secret，只从环境变量读取）。";
pub const BAD_CREDENTIALS: &str =
    "企业微信拒绝了 Bot ID 或 Secret（853000）：请在企业微信管理后台的智能机器人「API 模式：长连接」中核对。";
pub fn cannot_connect(url: &str, why: &dyn std::fmt::Display) -> String {
    format!(
        "无法连接企业微信长连接 {url}：{why}（私有部署请核对 SANSONG_WECOM_WS_URL，自有证书请设置 SANSONG_WECOM_CA_FILE）"
    )
}
pub const CLOSED_BEFORE_ANSWER: &str = "企业微信在回答订阅之前关闭了连接";
pub const NO_SUBSCRIBE_ANSWER: &str = "企业微信 10 秒内没有回答订阅";
pub fn refused(code: i64, message: &str) -> String {
    format!("企业微信拒绝了订阅：{code} {message}")
}
/// The line of `sansong check`.
pub const CHECK_NAME: &str = "企业微信智能机器人长连接";
pub const SUBSCRIBED: &str =
    "已订阅（随即关闭。每个机器人只有一条长连接：别处若有 sansong 用同一 Bot ID 运行，会因此断开，需重启它）";
pub const RUNNING_ELSEWHERE: &str =
    "sansong 正在运行并已连接：为免把它挤下线（每个机器人只能有一条长连接），这里不再订阅";

/// In the log and /healthz (for the operator; English like the other health reasons).
pub const DISPLACED: &str = "WeCom: a newer connection subscribed for this bot (disconnected_event), so this one stopped and will not reconnect; is a second sansong running with the same Bot ID? Restart this one when it is gone";
pub const CREDENTIALS_REFUSED: &str =
    "WeCom refused the bot id and secret (853000): check SANSONG_WECOM_BOT_ID and SANSONG_WECOM_SECRET";
pub const CREDENTIALS_STOPPED: &str = "WeCom refused the bot id and secret five times (853000); the long connection stopped trying: set SANSONG_WECOM_BOT_ID and SANSONG_WECOM_SECRET right and restart";
