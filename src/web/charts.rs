//! The console's charts, drawn on the server as SVG (no script, no chart library in the page).
//!
//! Two steps: the chart's data, computed from core data in pure functions that the tests check
//! (rows in the order the data has them — units in the organisation's order, never sorted by
//! a figure), then the drawing, with the `svg` crate's typed elements. Colours tell kinds
//! apart, one colour a kind; nothing grades units or people against each other.

use svg::Document;
use svg::node::Text as TextNode;
use svg::node::element::{Circle, Group, Line, Polyline, Rectangle, Text, Title};

use crate::tally::views::Trend;
use crate::tally::{RowName, Tally};

/// One colour per kind, in the configured order (repeating past five kinds).
pub const KIND_COLOURS: [&str; 5] = ["#b83b2e", "#2f6f9f", "#c98a14", "#6c4f9e", "#2e8b57"];

pub fn kind_colour(index: usize) -> &'static str {
    KIND_COLOURS[index % KIND_COLOURS.len()]
}

/// Bars of stacked segments: one bar a row, one segment a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StackedBars {
    /// The series' names (the kinds), in order.
    pub series: Vec<String>,
    /// (row label, one value per series), in the data's order.
    pub rows: Vec<(String, Vec<i64>)>,
}

impl StackedBars {
    /// Each row of a tally (units, sites, link kinds or members; not the total) with its
    /// check-ins of each kind, in the tally's own order.
    pub fn from_tally(t: &Tally, label: impl Fn(&RowName) -> String) -> StackedBars {
        StackedBars {
            series: t.kinds.iter().map(|(_, l)| l.clone()).collect(),
            rows: t.rows.iter().map(|r| (label(&r.name), r.counts.clone())).collect(),
        }
    }

    /// The longest bar's length: the scale all bars share.
    pub fn scale(&self) -> i64 {
        self.rows.iter().map(|(_, v)| v.iter().sum::<i64>()).max().unwrap_or(0).max(1)
    }

    /// The chart as an SVG document.
    pub fn svg(&self) -> String {
        const WIDTH: f64 = 720.0;
        const LABEL: f64 = 150.0;
        const ROW: f64 = 26.0;
        const TOP: f64 = 34.0;
        let height = TOP + ROW * self.rows.len().max(1) as f64 + 10.0;
        let bar_width = WIDTH - LABEL - 60.0;
        let scale = self.scale() as f64;
        let mut doc = base(WIDTH, height).add(legend(&self.series));
        for (i, (label, values)) in self.rows.iter().enumerate() {
            let y = TOP + ROW * i as f64;
            let mut group = Group::new().add(Title::new("").add(TextNode::new(format!(
                "{label}：{}",
                self.series.iter().zip(values).map(|(s, v)| format!("{s} {v}")).collect::<Vec<_>>().join("，")
            ))));
            group = group.add(text(LABEL - 8.0, y + ROW * 0.65, label, "end"));
            let mut x = LABEL;
            for (k, v) in values.iter().enumerate() {
                let w = bar_width * (*v as f64) / scale;
                if w > 0.0 {
                    group = group.add(
                        Rectangle::new()
                            .set("x", x)
                            .set("y", y + 4.0)
                            .set("width", w)
                            .set("height", ROW - 8.0)
                            .set("fill", kind_colour(k)),
                    );
                }
                x += w;
            }
            let total: i64 = values.iter().sum();
            group = group.add(text(x + 6.0, y + ROW * 0.65, &total.to_string(), "start"));
            doc = doc.add(group);
        }
        doc.to_string()
    }
}

/// Lines over weeks: one line a series.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lines {
    pub series: Vec<String>,
    /// The x axis' labels (weeks), oldest first.
    pub labels: Vec<String>,
    /// `values[series][x]`.
    pub values: Vec<Vec<i64>>,
}

impl Lines {
    /// A trend's check-ins of each kind, week by week (labelled `W47`).
    pub fn from_trend(t: &Trend) -> Lines {
        Lines {
            series: t.kinds.iter().map(|(_, l)| l.clone()).collect(),
            labels: t.weeks.iter().map(|w| format!("W{:02}", w.number())).collect(),
            values: (0..t.kinds.len()).map(|k| t.counts.iter().map(|week| week[k]).collect()).collect(),
        }
    }

    /// The y axis' top: the highest value, rounded up to a tidy number.
    pub fn top(&self) -> i64 {
        let max = self.values.iter().flatten().copied().max().unwrap_or(0).max(1);
        let step = tidy_step(max);
        (max + step - 1) / step * step
    }

    pub fn svg(&self) -> String {
        const WIDTH: f64 = 720.0;
        const HEIGHT: f64 = 260.0;
        const LEFT: f64 = 44.0;
        const TOP: f64 = 34.0;
        const BOTTOM: f64 = 30.0;
        let plot_h = HEIGHT - TOP - BOTTOM;
        let plot_w = WIDTH - LEFT - 16.0;
        let top = self.top() as f64;
        let n = self.labels.len().max(1);
        let x_of = |i: usize| LEFT + if n == 1 { plot_w / 2.0 } else { plot_w * i as f64 / (n - 1) as f64 };
        let y_of = |v: i64| TOP + plot_h - plot_h * v as f64 / top;
        let mut doc = base(WIDTH, HEIGHT).add(legend(&self.series));
        let step = tidy_step(self.top());
        let mut tick = 0;
        while tick <= self.top() {
            let y = y_of(tick);
            doc = doc
                .add(
                    Line::new()
                        .set("x1", LEFT)
                        .set("x2", WIDTH - 16.0)
                        .set("y1", y)
                        .set("y2", y)
                        .set("stroke", "#ddd"),
                )
                .add(text(LEFT - 6.0, y + 4.0, &tick.to_string(), "end"));
            tick += step;
        }
        for (i, label) in self.labels.iter().enumerate() {
            doc = doc.add(text(x_of(i), HEIGHT - 10.0, label, "middle"));
        }
        for (k, values) in self.values.iter().enumerate() {
            let points: Vec<String> =
                values.iter().enumerate().map(|(i, v)| format!("{:.1},{:.1}", x_of(i), y_of(*v))).collect();
            let mut group = Group::new().add(
                Polyline::new()
                    .set("points", points.join(" "))
                    .set("fill", "none")
                    .set("stroke", kind_colour(k))
                    .set("stroke-width", 2),
            );
            for (i, v) in values.iter().enumerate() {
                let series = self.series.get(k).map_or("", String::as_str);
                let label = self.labels.get(i).map_or("", String::as_str);
                group = group.add(
                    Circle::new()
                        .set("cx", x_of(i))
                        .set("cy", y_of(*v))
                        .set("r", 3)
                        .set("fill", kind_colour(k))
                        .add(Title::new("").add(TextNode::new(format!("{label} {series}：{v}")))),
                );
            }
            doc = doc.add(group);
        }
        doc.to_string()
    }
}

/// 1, 2, 5, 10, 20, 50, … : a step that gives at most five grid lines up to `max`.
fn tidy_step(max: i64) -> i64 {
    let mut step = 1;
    loop {
        for m in [1, 2, 5] {
            if max <= step * m * 5 {
                return step * m;
            }
        }
        step *= 10;
    }
}

fn base(width: f64, height: f64) -> Document {
    Document::new()
        .set("viewBox", (0, 0, width, height))
        .set("width", "100%")
        .set("role", "img")
        .set("font-size", 12)
        .set("font-family", "sans-serif")
}

fn legend(series: &[String]) -> Group {
    let mut group = Group::new();
    for (k, name) in series.iter().enumerate() {
        let x = 10.0 + 110.0 * k as f64;
        group = group
            .add(
                Rectangle::new()
                    .set("x", x)
                    .set("y", 8)
                    .set("width", 12)
                    .set("height", 12)
                    .set("fill", kind_colour(k)),
            )
            .add(text(x + 18.0, 19.0, name, "start"));
    }
    group
}

fn text(x: f64, y: f64, content: &str, anchor: &str) -> Text {
    Text::new(content).set("x", x).set("y", y).set("text-anchor", anchor).set("fill", "#333")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::Grouping;
    use crate::tally::{Period, Scope, TallyRow};
    use crate::week::Week;

    fn tally(rows: &[(&str, [i64; 3])]) -> Tally {
        Tally {
            period: Period::Week(Week::new(2026, 49).unwrap()),
            by: Grouping::Unit,
            scope: Scope::all(),
            kinds: vec![
                ("policy".into(), "送政策".into()),
                ("service".into(), "送服务".into()),
                ("warmth".into(), "送温暖".into()),
            ],
            rows: rows
                .iter()
                .map(|(n, c)| TallyRow {
                    name: RowName::Named((*n).into()),
                    counts: c.to_vec(),
                    total: c.iter().sum(),
                    ..TallyRow::default()
                })
                .collect(),
            total: TallyRow::default(),
        }
    }

    fn named(n: &RowName) -> String {
        match n {
            RowName::Named(s) => s.clone(),
            _ => "其他".into(),
        }
    }

    #[test]
    fn bars_keep_the_organisations_order_never_the_totals() {
        let t = tally(&[("人社局", [1, 0, 0]), ("科工局", [5, 5, 5]), ("住建局", [0, 2, 0])]);
        let bars = StackedBars::from_tally(&t, named);
        let labels: Vec<&str> = bars.rows.iter().map(|(l, _)| l.as_str()).collect();
        assert_eq!(labels, ["人社局", "科工局", "住建局"]);
        assert_eq!(bars.rows[1].1, vec![5, 5, 5]);
        assert_eq!(bars.series, ["送政策", "送服务", "送温暖"]);
        assert_eq!(bars.scale(), 15);
    }

    #[test]
    fn an_empty_week_still_draws_a_chart_with_a_scale_of_one() {
        let t = tally(&[("人社局", [0, 0, 0])]);
        let bars = StackedBars::from_tally(&t, named);
        assert_eq!(bars.scale(), 1);
        assert!(bars.svg().starts_with("<svg"));
    }

    #[test]
    fn names_in_a_chart_are_escaped() {
        let t = tally(&[("<script>alert(1)</script>", [1, 0, 0])]);
        let svg = StackedBars::from_tally(&t, named).svg();
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn a_trend_has_one_line_per_kind_over_the_weeks() {
        let weeks = crate::tally::views::weeks_ending(Week::new(2026, 2).unwrap(), 3);
        let trend = Trend {
            weeks,
            kinds: vec![("policy".into(), "送政策".into()), ("warmth".into(), "送温暖".into())],
            counts: vec![vec![1, 0], vec![3, 2], vec![0, 7]],
        };
        let lines = Lines::from_trend(&trend);
        assert_eq!(lines.labels, ["W52", "W01", "W02"]);
        assert_eq!(lines.values, vec![vec![1, 3, 0], vec![0, 2, 7]]);
        assert_eq!(lines.top(), 8);
        assert_eq!(lines.svg().matches("<polyline").count(), 2);
    }

    #[test]
    fn tidy_steps_give_at_most_five_grid_lines() {
        assert_eq!(tidy_step(1), 1);
        assert_eq!(tidy_step(7), 2);
        assert_eq!(tidy_step(23), 5);
        assert_eq!(tidy_step(480), 100);
    }
}
