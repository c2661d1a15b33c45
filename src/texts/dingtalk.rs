//! What DingTalk's own features say: joining by department (the greeting), the departments of
//! the address book as `sansong org dingtalk` lists them, `sansong check`'s lines about the
//! app's address-book permissions, and the workbench page of the console.

use std::fmt::Write as _;

use super::members::{CommandName, CommandStyle, welcome};
use crate::checkins::kinds::Kinds;
use crate::domain::{Member, Site, Unit};

/// The greeting of someone who joined by their DingTalk department, before their first
/// message is answered: as with an invite, and how they came in.
pub fn joined_by_department(
    member: &Member,
    sites: &[Site],
    commands: &[CommandName],
    kinds: &Kinds,
) -> String {
    format!(
        "您在钉钉通讯录中的部门属于「{}」，已为您自动加入，无需邀请码。\n{}\n\n已在 Telegram 或其他平台加入过？在原平台发送「绑定」取得绑定码，再在这里发送「绑定 绑定码」，两边即为同一账号。",
        member.unit_name,
        welcome(member, sites, commands, CommandStyle::WordOnly, kinds, false)
    )
}

// ---------------------------------------------------------------- the workbench page

/// The workbench page inside DingTalk, while it signs the official in.
pub const WORKBENCH_SIGNING_IN: &str = "正在通过钉钉确认您的身份，请稍候……";

/// DingTalk gave no auth code (an old client, the app not set up for it).
pub const WORKBENCH_FAILED: &str = "钉钉没有给出登录授权。请关闭本页后从钉钉工作台重新打开；\
    也可以在与机器人的单聊中发送「后台」，点收到的链接登录。";

/// The workbench page opened outside DingTalk: it does nothing there.
pub const WORKBENCH_OUTSIDE: &str = "这是管理后台在钉钉工作台中的入口，请在钉钉中打开。\
    在其他浏览器中，请在与机器人的单聊中发送「后台」，点收到的链接登录。";

/// A code DingTalk does not know: forged, used already, or older than five minutes.
pub const WORKBENCH_CODE_REFUSED: &str = "这个钉钉登录授权无效或已经用过（授权 5 分钟内有效，只能用一次）。\
    请从钉钉工作台重新打开管理后台。";

/// DingTalk could not be asked about the code just now.
pub const WORKBENCH_UNAVAILABLE: &str = "暂时无法向钉钉确认您的身份，请稍后从钉钉工作台重新打开。";

// ---------------------------------------------------------------- sansong org dingtalk

/// One department of the address book as `sansong org dingtalk` lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DepartmentLine {
    pub id: i64,
    pub name: String,
    /// How deep in the tree (the root is 0).
    pub depth: usize,
    /// The people directly in it, when DingTalk said.
    pub members: Option<usize>,
}

/// `sansong org dingtalk`: the tree with ids and member counts, the departments already a
/// unit's marked, then the units without any, and mapped departments DingTalk did not show.
pub fn department_tree(
    lines: &[DepartmentLine],
    truncated: bool,
    mapped: &[(i64, Unit)],
    units: &[Unit],
) -> String {
    let mut out = format!(
        "钉钉通讯录中应用可见的部门共 {} 个（括号内为部门编号，其后为部门直属人数；✓ 表示已对应单位）：\n",
        lines.len()
    );
    for d in lines {
        let indent = "  ".repeat(d.depth);
        let members = d.members.map_or_else(|| "人数未知".to_owned(), |n| format!("{n} 人"));
        let unit = mapped.iter().find(|(id, _)| *id == d.id).map(|(_, u)| format!("  ✓ {}", u.name));
        let _ = writeln!(out, "{indent}{}（{}）{members}{}", d.name, d.id, unit.unwrap_or_default());
    }
    if truncated {
        let _ = writeln!(out, "（部门过多，只列出前 {} 个。）", lines.len());
    }
    let without: Vec<&str> =
        units.iter().filter(|u| !mapped.iter().any(|(_, m)| m.id == u.id)).map(|u| u.name.as_str()).collect();
    if without.is_empty() {
        out.push_str("\n每个单位都已对应钉钉部门。\n");
    } else {
        let _ = writeln!(out, "\n还没有对应钉钉部门的单位：{}", without.join("、"));
    }
    let unseen: Vec<String> = mapped
        .iter()
        .filter(|(id, _)| !lines.iter().any(|d| d.id == *id))
        .map(|(id, u)| format!("{id}（{}）", u.name))
        .collect();
    if !unseen.is_empty() && !truncated {
        let _ = writeln!(
            out,
            "已对应单位、但通讯录中看不到的部门：{}。可能已删除，或不在应用的通讯录授权范围内。",
            unseen.join("、")
        );
    }
    out.push_str(
        "对应方法：在组织文件的单位下写 dingtalk_departments = [部门编号, …] 后 sansong org load，\
         或在管理后台「组织」页填写。这些部门（含其下级部门）的人给机器人发消息时，自动加入该单位。",
    );
    out
}

/// `sansong org dingtalk` without DingTalk set up.
pub const ORG_NO_DINGTALK: &str =
    "没有配置钉钉：请设置 SANSONG_DINGTALK_CLIENT_ID 和 SANSONG_DINGTALK_CLIENT_SECRET 后再运行。";

/// The app may not read the address book: what to grant, and where.
pub fn tree_not_allowed() -> String {
    format!(
        "钉钉应用没有读取通讯录部门的权限。{}",
        grant_where("通讯录部门信息读权限", "qyapi_get_department_list")
    )
}

/// DingTalk could not be asked for the departments.
pub fn tree_failed(why: &str) -> String {
    format!("无法从钉钉读取部门：{why}")
}

// ---------------------------------------------------------------- sansong check

pub const CHECK_DEPARTMENT_READ: &str = "钉钉 通讯录部门信息读权限";
pub const CHECK_MEMBER_READ: &str = "钉钉 成员信息读权限";
pub const CHECK_SCOPE: &str = "钉钉 按部门加入的部门在通讯录授权范围内";

/// Where an admin grants a permission to the app.
fn grant_where(name: &str, code: &str) -> String {
    format!(
        "请在钉钉开发者后台（open-dev.dingtalk.com）→ 应用详情 →「权限管理」中申请「{name}」（{code}），并发布新版本。"
    )
}

/// The permission is there.
pub fn permission_granted(code: &str) -> String {
    format!("已开通（{code}）")
}

/// The permission is missing while some unit has departments: joining by department is off.
pub fn permission_missing(name: &str, code: &str) -> String {
    format!("未开通：按部门加入现在不起作用（邀请码照常可用，其他功能不受影响）。{}", grant_where(name, code))
}

/// The permission is missing and no unit has departments: nothing needs it yet.
pub fn permission_not_needed_yet(code: &str) -> String {
    format!("未开通（{code}）；尚无单位对应钉钉部门，暂不需要。要按部门加入时再申请。")
}

/// No unit has departments: nothing to check.
pub const SCOPE_NOTHING_MAPPED: &str = "尚无单位对应钉钉部门（按部门加入未启用）";

/// Every mapped department is within the app's 通讯录授权范围.
pub fn scope_fine(count: usize) -> String {
    format!("{count} 个已对应的部门都在授权范围内")
}

/// Mapped departments outside the app's scope, or that DingTalk does not have.
pub fn scope_problems(outside: &[(i64, String)], missing: &[(i64, String)]) -> String {
    let named = |list: &[(i64, String)]| {
        list.iter().map(|(id, unit)| format!("{id}（{unit}）")).collect::<Vec<_>>().join("、")
    };
    let mut parts = Vec::new();
    if !outside.is_empty() {
        parts.push(format!(
            "不在应用的通讯录授权范围内：{}。请在钉钉开发者后台 → 应用详情 →「权限管理」→ 通讯录权限的「授权范围」中加入这些部门",
            named(outside)
        ));
    }
    if !missing.is_empty() {
        parts.push(format!(
            "钉钉通讯录中没有这些部门：{}。请用 sansong org dingtalk 查看编号，在管理后台「组织」页改正",
            named(missing)
        ));
    }
    format!("{}。", parts.join("；"))
}

/// The scope could not be told (the permission to read departments is missing).
pub const SCOPE_UNKNOWN: &str = "无法检查：需先开通通讯录部门信息读权限";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tree_marks_mapped_departments_and_names_the_units_without_any() {
        let lines = vec![
            DepartmentLine { id: 1, name: "临湘市".into(), depth: 0, members: Some(3) },
            DepartmentLine {
                id: 12345, name: "人力资源和社会保障局".into(), depth: 1, members: Some(25)
            },
            DepartmentLine { id: 12350, name: "就业服务中心".into(), depth: 2, members: None },
        ];
        let units = vec![Unit { id: 2, name: "人社局".into() }, Unit { id: 4, name: "科工局".into() }];
        let mapped = vec![(12345, units[0].clone()), (99999, units[0].clone())];
        let text = department_tree(&lines, false, &mapped, &units);
        assert!(text.contains("  人力资源和社会保障局（12345）25 人  ✓ 人社局\n"), "{text}");
        assert!(text.contains("    就业服务中心（12350）人数未知\n"), "{text}");
        assert!(text.contains("还没有对应钉钉部门的单位：科工局"), "{text}");
        assert!(text.contains("99999（人社局）"), "{text}");
    }
}
