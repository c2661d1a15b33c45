//! The weekly report's bar chart: check-ins per unit, stacked by kind, as a PNG.
//!
//! Chinese labels need a CJK font. It comes from the config (`report_font`), or from where
//! Debian and others install one; without it there is no chart and the report goes out as
//! text (with a warning in the log). Drawing is pure Rust (plotters with ab_glyph), so nothing
//! needs installing for the chart itself.

use std::collections::HashMap;
use std::io::Cursor;
use std::path::PathBuf;
use std::sync::{Mutex, OnceLock};

use ab_glyph::Font as _;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use plotters::style::{FontStyle, register_font};

use crate::config::FontChoice;
use crate::tally::Tally;
use crate::texts::tallies::{chart_title, row_label};

/// The name the loaded font is registered under with plotters.
const FAMILY: &str = "sansong-cjk";

/// Where CJK fonts are commonly installed (Debian's fonts-wqy-microhei, fonts-wqy-zenhei,
/// fonts-noto-cjk; other distributions; macOS).
const SYSTEM_FONTS: &[&str] = &[
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/wenquanyi/wqy-microhei/wqy-microhei.ttc",
    "/System/Library/Fonts/PingFang.ttc",
];

/// Loads and registers the chart font (once per process and choice). `None`: no usable CJK
/// font, or charts are off.
pub fn font(choice: &FontChoice) -> Option<PathBuf> {
    static LOADED: OnceLock<Mutex<HashMap<String, Option<PathBuf>>>> = OnceLock::new();
    if *choice == FontChoice::Off {
        return None;
    }
    let mut loaded = LOADED.get_or_init(Mutex::default).lock().unwrap_or_else(|p| p.into_inner());
    loaded.entry(format!("{choice:?}")).or_insert_with(|| load(choice)).clone()
}

fn load(choice: &FontChoice) -> Option<PathBuf> {
    let candidates: Vec<PathBuf> = match choice {
        FontChoice::Off => return None,
        FontChoice::File(p) => vec![p.clone()],
        FontChoice::Auto => SYSTEM_FONTS.iter().map(PathBuf::from).collect(),
    };
    for path in candidates {
        let Ok(bytes) = std::fs::read(&path) else {
            if matches!(choice, FontChoice::File(_)) {
                tracing::warn!(font = %path.display(), "report_font cannot be read; reports go out as text");
            }
            continue;
        };
        // plotters keeps fonts for the life of the process; this one is loaded once.
        let bytes: &'static [u8] = Box::leak(bytes.into_boxed_slice());
        let has_chinese = ab_glyph::FontRef::try_from_slice(bytes).is_ok_and(|f| f.glyph_id('送').0 != 0);
        if !has_chinese {
            tracing::warn!(font = %path.display(), "the font has no Chinese glyphs; not used for charts");
            continue;
        }
        if register_font(FAMILY, FontStyle::Normal, bytes).is_err() {
            tracing::warn!(font = %path.display(), "the font cannot be read; not used for charts");
            continue;
        }
        tracing::info!(font = %path.display(), "chart font loaded");
        return Some(path);
    }
    if matches!(choice, FontChoice::Auto) {
        tracing::warn!(
            "no CJK font found (install fonts-wqy-microhei or fonts-noto-cjk, or set report_font); weekly reports go out as text"
        );
    }
    None
}

/// Some fixed, distinguishable colours for the kinds (then plotters' palette).
fn kind_color(i: usize) -> RGBColor {
    const COLORS: [RGBColor; 3] = [RGBColor(200, 40, 40), RGBColor(40, 110, 190), RGBColor(230, 150, 30)];
    COLORS.get(i).copied().unwrap_or_else(|| {
        let c = Palette99::pick(i + 3).to_rgba();
        RGBColor(c.0, c.1, c.2)
    })
}

/// Draws a by-unit tally as horizontal bars stacked by kind, one bar per unit, top to bottom
/// in unit order. Needs [`font`] to have succeeded first.
pub fn render(t: &Tally) -> anyhow::Result<Vec<u8>> {
    let n = t.rows.len().max(1);
    let (width, height) = (960u32, u32::try_from(140 + 30 * n).unwrap_or(9000).min(9000));
    let longest = t.rows.iter().map(|r| row_label(r).chars().count()).max().unwrap_or(4);
    let label_width = u32::try_from(20 + 16 * longest).unwrap_or(300).min(320);
    let max = t.rows.iter().map(|r| r.total).max().unwrap_or(0).max(1);
    let fail = |e: &dyn std::fmt::Debug| anyhow::anyhow!("drawing the chart: {e:?}");
    let mut pixels = vec![255u8; (width * height * 3) as usize];
    {
        let root = BitMapBackend::with_buffer(&mut pixels, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| fail(&e))?;
        let title = chart_title(t.period);
        // Rows on a plain axis from 0 to n, one band each, the first at the top; their names
        // are drawn beside the bands (a segmented axis adds a band and tick of its own).
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FAMILY, 22))
            .margin(16)
            .x_label_area_size(32)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0i64..(max + max / 8 + 1), 0f64..n as f64)
            .map_err(|e| fail(&e))?;
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(0)
            .x_labels(usize::try_from(max + 1).unwrap_or(10).min(10))
            .label_style((FAMILY, 15))
            .draw()
            .map_err(|e| fail(&e))?;
        let band = |i: usize| (n - 1 - i) as f64;
        let name_style = TextStyle::from((FAMILY, 15).into_font()).pos(Pos::new(HPos::Right, VPos::Center));
        for (i, row) in t.rows.iter().enumerate() {
            let (x, y) = chart.backend_coord(&(0, band(i) + 0.5));
            root.draw(&Text::new(row_label(row), (x - 8, y), name_style.clone())).map_err(|e| fail(&e))?;
        }
        for (k, (_, label)) in t.kinds.iter().enumerate() {
            let color = kind_color(k);
            let bars = t.rows.iter().enumerate().filter(|(_, r)| r.counts[k] > 0).map(|(i, row)| {
                let start: i64 = row.counts[..k].iter().sum();
                let end = start + row.counts[k];
                let y = band(i);
                let mut bar = Rectangle::new([(start, y), (end, y + 1.0)], color.filled());
                bar.set_margin(5, 5, 0, 0);
                bar
            });
            chart
                .draw_series(bars)
                .map_err(|e| fail(&e))?
                .label(label.clone())
                .legend(move |(x, y)| Rectangle::new([(x, y - 6), (x + 14, y + 6)], color.filled()));
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .label_font((FAMILY, 15))
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()
            .map_err(|e| fail(&e))?;
        root.present().map_err(|e| fail(&e))?;
    }
    let image = image::RgbImage::from_raw(width, height, pixels)
        .ok_or_else(|| anyhow::anyhow!("chart buffer of the wrong size"))?;
    let mut png = Cursor::new(Vec::new());
    image.write_to(&mut png, image::ImageFormat::Png)?;
    Ok(png.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Grouping;
    use crate::tally::{Period, RowName, Scope, TallyRow};
    use crate::week::Week;

    fn row(name: &str, counts: [i64; 3]) -> TallyRow {
        TallyRow {
            name: RowName::Named(name.into()),
            counts: counts.to_vec(),
            total: counts.iter().sum(),
            ..TallyRow::default()
        }
    }

    fn week48(rows: Vec<TallyRow>) -> Tally {
        Tally {
            period: Period::Week(Week::containing(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap())),
            by: Grouping::Unit,
            scope: Scope::all(),
            kinds: vec![
                ("policy".into(), "送政策".into()),
                ("service".into(), "送服务".into()),
                ("warmth".into(), "送温暖".into()),
            ],
            rows,
            total: TallyRow::default(),
        }
    }

    /// The longest run of pixels matching `is` down column `x`.
    fn run_down(img: &image::RgbImage, x: u32, is: impl Fn(&image::Rgb<u8>) -> bool) -> u32 {
        let (mut best, mut now) = (0, 0);
        for y in 0..img.height() {
            now = if is(img.get_pixel(x, y)) { now + 1 } else { 0 };
            best = best.max(now);
        }
        best
    }

    #[test]
    fn the_bars_fill_the_whole_height_of_the_plot_with_no_empty_band_above_the_first() {
        let font = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures/fonts/wqy-microhei-subset.ttf");
        assert!(super::font(&FontChoice::File(font)).is_some());
        // One unit: its bar is the plot's one band, less the bar's margins.
        let png = render(&week48(vec![row("人社局", [2, 0, 0])])).unwrap();
        let img = image::load_from_memory(&png).unwrap().to_rgb8();
        let dark = |p: &image::Rgb<u8>| p.0.iter().all(|c| *c < 60);
        let red = |p: &image::Rgb<u8>| p.0[0] > 150 && p.0[1] < 80 && p.0[2] < 80;
        let axis_x = (0..img.width() / 2).max_by_key(|x| run_down(&img, *x, dark)).unwrap();
        let plot_height = run_down(&img, axis_x, dark);
        let bar_x = (0..img.width()).find(|x| run_down(&img, *x, red) > 0).unwrap() + 5;
        let bar_height = run_down(&img, bar_x, red);
        assert!(
            bar_height * 10 > plot_height * 8,
            "the bar is {bar_height} px of a {plot_height} px plot: an empty band above it?"
        );
    }
}
