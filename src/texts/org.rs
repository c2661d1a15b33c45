//! The console's 组织 section in words: the page's notes, what each change said once done, the
//! import's preview and refusals, and the notes inside the files it hands out. (Labels of
//! buttons and columns stay in the templates; the sheet's header is the file format's own.)

use crate::domain::{DepartmentChange, SiteChange, SitePlan, SiteState};
use crate::org::sheet::{MAX_ROWS, link_word};
use crate::org::{OrgProblem, OrgProblemKind};

pub const INTRO: &str = "本单位和各单位联系的站点（联乡村、联社区、联企业、联商会）。单位按添加的先后排列。党员登记时没有写站点，就记到本单位的默认站点。";

pub const ARCHIVE_NOTE: &str = "归档的站点保留全部登记记录，仍计入当时的统计；不再供党员登记时选择，也不再列入「未登记」的站点。可随时恢复。";

pub const NO_UNITS: &str = "还没有单位。请在下面添加，或导入组织表格。";

pub const NO_SITES: &str = "还没有站点。";

/// Beside each unit's DingTalk departments.
pub const DEPARTMENTS_NOTE: &str = "钉钉部门编号（可用 sansong org dingtalk 查看），多个用逗号隔开；留空表示不按部门加入。\
    这些部门及其下级部门的人给机器人发消息时，自动以党员身份加入本单位，无需邀请码。一个部门只能对应一个单位。";

/// A unit without DingTalk departments.
pub const NO_DEPARTMENTS: &str = "未对应钉钉部门";

/// A unit's DingTalk departments as the page lists them: `12345、67890`.
pub fn departments(ids: &[i64]) -> String {
    ids.iter().map(i64::to_string).collect::<Vec<_>>().join("、")
}

/// A unit whose DingTalk departments a load or import changed.
pub fn departments_changed(c: &DepartmentChange) -> String {
    let said = |ids: &[i64]| if ids.is_empty() { "无".to_owned() } else { departments(ids) };
    format!("{} 的钉钉部门：{} 改为 {}", c.unit, said(&c.before), said(&c.after))
}

/// What a change said once done, by the key the page's address carries (`?done=…`), with the
/// name of the unit or site it was about as the database has it. `None` for a key it does not
/// know.
pub fn done(key: &str, name: &str) -> Option<String> {
    Some(match key {
        "unit_added" => format!("已添加单位「{name}」。"),
        "unit_exists" => format!("单位「{name}」已经有了，没有重复添加。"),
        "unit_renamed" => format!("单位已改名为「{name}」。"),
        "site_added" => format!("已添加站点「{name}」。"),
        "site_exists" => format!("站点「{name}」已经有了，没有重复添加。"),
        "site_restored" => format!("站点「{name}」原已归档，现已恢复。"),
        "site_renamed" => format!("站点已改名为「{name}」，原有登记随之改名。"),
        "default_set" => format!("已将「{name}」设为默认站点。"),
        "site_archived" => format!("站点「{name}」已归档：登记记录保留，不再供登记选择。"),
        "unit_departments_set" => format!("已更新「{name}」对应的钉钉部门。"),
        "unit_departments_unchanged" => format!("「{name}」对应的钉钉部门没有变化。"),
        "already" | "unit_already" => format!("「{name}」已是这样，无需更改。"),
        _ => return None,
    })
}

/// After an import.
pub fn imported(units: u32, sites: u32, changed: u32, departments: u32) -> String {
    if units + sites + changed + departments == 0 {
        "导入完成：组织与文件一致，没有改动。".into()
    } else if departments == 0 {
        format!("导入完成：新增单位 {units} 个、站点 {sites} 个，修改站点 {changed} 处。")
    } else {
        format!(
            "导入完成：新增单位 {units} 个、站点 {sites} 个，修改站点 {changed} 处，{departments} 个单位的钉钉部门有改动。"
        )
    }
}

/// `11月24日归档`.
pub fn archived_on(day: &str) -> String {
    format!("{day}归档")
}

// ---------------------------------------------------------------- import

pub const IMPORT_INTRO: &str = "上传组织表格（Excel .xlsx）或组织文件（.toml），先看预览：将新增或修改什么；确认后才写入。文件中没有列出的站点保留不动；写在文件中的已归档站点会恢复。";

pub const TEMPLATE_NOTE: &str =
    "表格第一行为表头：单位、站点、联系类型、默认；每行一个站点，没有站点的单位单独一行、只填单位。";

/// The template's second sheet, a line a row.
pub const TEMPLATE_NOTES_TITLE: &str = "填写说明";
pub const TEMPLATE_NOTES: [&str; 8] = [
    "在第一张表「组织」中填写，每行一个站点；第一行是表头，请勿修改。",
    "单位：单位名称，如 人社局。同一单位的各行都写上单位名称；还没有站点的单位单独一行，只填单位。",
    "站点：联系的村、社区、企业或商会的名称，如 五里牌街道新球社区。名称 1 到 40 个字。",
    "联系类型：联乡村、联社区、联企业 或 联商会（可从下拉列表选择）。",
    "默认：党员登记时没写站点就记到默认站点。填「是」，其余留空；每个单位最多一个。",
    "单位按表中出现的先后排列。文件中没有列出的站点保留不动，不会删除。",
    "导入时先预览将新增或修改什么，确认后才写入；有错误的文件会列出行号，什么都不写入。",
    "上传文件不超过 2 MB、5000 行。",
];

/// On top of an exported org file.
pub const TOML_COMMENT: &str = "组织文件：单位及其联系的站点。\n可用 sansong org load 载入，或在管理后台「组织 → 导入」上传。\nlink：village 联乡村 | community 联社区 | enterprise 联企业 | chamber 联商会；default = true 为默认站点。\ndingtalk_departments：这些钉钉部门（含下级）的人自动加入该单位；写 [] 表示不再按部门加入，不写则保持不变。";

pub const NO_FILE: &str = "请先选择要上传的文件。";

pub const NOT_AN_ORG_FILE: &str =
    "只能上传 Excel 表格（.xlsx）或组织文件（.toml）。旧版 .xls 表格请在 Excel 中另存为 .xlsx 后再上传。";

pub const UNREADABLE: &str =
    "这个 Excel 文件打不开，可能已损坏或不是 .xlsx 格式。请在 Excel 中重新保存后再上传。";

pub fn too_large() -> String {
    format!("文件太大：上传的文件不能超过 2 MB，组织表格不能超过 {MAX_ROWS} 行。")
}

/// Above the list of a refused file's problems.
pub fn refused(count: usize) -> String {
    format!("文件有 {count} 处问题，没有写入任何内容。请修改后重新上传：")
}

/// One problem of an uploaded file: `第 N 行：…` (a spreadsheet's row, an org file's line).
pub fn problem(p: &OrgProblem, sheet: bool) -> String {
    match &p.kind {
        OrgProblemKind::SiteWithoutUnit { site } if sheet => {
            format!("第 {} 行：站点「{site}」没有填写所属单位", p.line)
        }
        OrgProblemKind::SiteOfUnknownUnit { site, unit } if sheet => {
            format!("第 {} 行：站点「{site}」的单位「{unit}」名称有误", p.line)
        }
        _ => super::cli::org_problem(p),
    }
}

pub const PREVIEW_LEAD: &str = "确认后将写入以下改动（尚未写入）：";

pub const PREVIEW_NOTHING: &str = "文件与现有组织一致，导入不会改动任何内容。";

/// A site's state as the preview shows it: `联社区，默认`.
pub fn site_state(s: SiteState) -> String {
    let mut words = vec![link_word(s.link)];
    if s.is_default {
        words.push("默认");
    }
    if s.archived {
        words.push("已归档");
    }
    words.join("，")
}

/// A site the import adds: `人社局 → 新球社区（联社区，默认）`.
pub fn site_added(site: &SitePlan) -> String {
    let state = SiteState { link: site.link, is_default: site.is_default, archived: false };
    format!("{} → {}（{}）", site.unit, site.name, site_state(state))
}

/// A site the import changes: `人社局 → 新球社区：联社区 改为 联社区，默认`.
pub fn site_changed(c: &SiteChange) -> String {
    format!("{} → {}：{} 改为 {}", c.unit, c.site, site_state(c.before), site_state(c.after))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::LinkKind;

    #[test]
    fn every_key_a_change_redirects_with_has_its_sentence() {
        for key in [
            "unit_added",
            "unit_exists",
            "unit_renamed",
            "site_added",
            "site_exists",
            "site_restored",
            "site_renamed",
            "default_set",
            "site_archived",
            "unit_departments_set",
            "unit_departments_unchanged",
            "already",
            "unit_already",
        ] {
            let said = done(key, "新球社区").unwrap();
            assert!(said.contains("新球社区") && said.ends_with('。'), "{key}: {said}");
        }
        assert_eq!(done("<script>", "x"), None);
    }

    #[test]
    fn a_change_reads_before_and_after() {
        let c = SiteChange {
            unit: "人社局".into(),
            site: "新球社区".into(),
            before: SiteState { link: LinkKind::Community, is_default: false, archived: true },
            after: SiteState { link: LinkKind::Community, is_default: true, archived: false },
        };
        assert_eq!(site_changed(&c), "人社局 → 新球社区：联社区，已归档 改为 联社区，默认");
    }
}
