//! Promoting, demoting, deactivating and re-activating members.

use super::role_label;
use crate::domain::Member;

pub fn member_choice(m: &Member) -> String {
    format!(
        "{}（{}，{}{}）",
        m.name,
        m.unit_name,
        role_label(m.role),
        if m.status == crate::domain::MemberStatus::Inactive { "，已停用" } else { "" }
    )
}

pub fn roles_choose(change: crate::members::Change, count: usize) -> String {
    use crate::members::Change;
    let what = match change {
        Change::Promote(_) => "提升身份",
        Change::Demote(_) => "降低身份",
        Change::Deactivate => "停用",
        Change::Activate => "重新启用",
    };
    let more = if count > 30 {
        format!("（共 {count} 人，只列出前 30 位，请写出更完整的姓名）")
    } else {
        String::new()
    };
    format!("请选择要{what}的成员{more}：")
}

pub fn roles_nobody() -> String {
    "没有可以操作的成员。请写出姓名，例如「授权 张三」；也可以回复对方的消息（或转发给我的对方消息）发送 /promote。".into()
}

pub fn member_changed(c: &crate::members::Changed) -> String {
    use crate::members::Change;
    match (c.change, c.roles) {
        (Change::Promote(_) | Change::Demote(_), Some((from, to))) => format!(
            "已将 {}（{}）由{}调整为{}。其命令菜单已随之更新；此操作已记入审计日志。",
            c.member.name,
            c.member.unit_name,
            role_label(from),
            role_label(to)
        ),
        (Change::Deactivate, _) => format!(
            "已停用 {}（{}）：其登记记录保留，今后不再向其发送通知；可发送「启用 {}」重新启用。此操作已记入审计日志。",
            c.member.name, c.member.unit_name, c.member.name
        ),
        _ => format!("已重新启用 {}（{}）。此操作已记入审计日志。", c.member.name, c.member.unit_name),
    }
}
