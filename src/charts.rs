//! SVG charts drawn on the server for both dashboards: no script, no chart library, nothing fetched
//! — a rig's screen and an air-gapped hub render them as they are. Every chart has its axis labels
//! with units; every label is escaped here, so a rig id or a note can never become markup.

use std::fmt::Write;

/// One colour per anomaly category (by `AnomalyCategory::ALL` order), distinguishable on a dim
/// screen and in print.
pub const CATEGORY_COLOURS: [&str; 10] = [
    "#d62728", "#1f77b4", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22",
    "#17becf", "#2ca02c",
];

/// The colour for a category wire name.
pub fn category_colour(name: &str) -> &'static str {
    crate::drilling::AnomalyCategory::ALL
        .iter()
        .position(|c| c.as_str() == name)
        .map_or("#555555", |i| CATEGORY_COLOURS[i])
}

/// The colour for a risk level wire name.
pub fn risk_colour(name: &str) -> &'static str {
    match name {
        "critical" => "#c0001a",
        "high" => "#e8590c",
        "elevated" => "#d4a000",
        _ => "#2b8a3e",
    }
}

/// The colour for an outcome wire name: resolved green, escalated orange, a false alarm grey,
/// pending amber.
pub fn outcome_colour(name: &str) -> &'static str {
    match name {
        "resolved" => "#2b8a3e",
        "escalated" => "#e8590c",
        "false_positive" => "#868e96",
        _ => "#d4a000",
    }
}

/// Text made safe for HTML and SVG.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A round number at or above `max` for an axis's top, and a tick step for it.
fn nice_axis(max: f64) -> (f64, f64) {
    if max.is_nan() || max <= 0.0 || !max.is_finite() {
        return (1.0, 0.25);
    }
    let raw = max / 4.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .into_iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    ((max / step).ceil() * step, step)
}

/// A depth axis around the data (shallowest at the top): round ends a tick beyond the shallowest
/// and deepest depth, at least 500 ft tall — not always from the surface.
fn depth_axis(depths: impl Iterator<Item = f64>) -> (f64, f64, f64) {
    let (lo, hi) = depths
        .filter(|d| d.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), d| {
            (lo.min(d), hi.max(d))
        });
    if !lo.is_finite() {
        return (0.0, 1.0, 0.25);
    }
    let middle = (lo + hi) / 2.0;
    let half = ((hi - lo) / 2.0).max(250.0);
    let (_, step) = nice_axis(2.0 * half);
    let mut shallow = (((middle - half) / step).floor() * step).max(0.0);
    let mut deep = ((middle + half) / step).ceil() * step;
    // A point on the axis's edge is drawn half over its line: leave a tick of room there.
    if deep - hi < step * 0.1 {
        deep += step;
    }
    if lo - shallow < step * 0.1 && shallow > 0.0 {
        shallow = (shallow - step).max(0.0);
    }
    (shallow, deep.max(shallow + step), step)
}

fn tick_label(v: f64) -> String {
    if v.fract() == 0.0 {
        crate::drilling::thousands(v)
    } else {
        format!("{v:.2}")
    }
}

/// A bar in a bar chart.
#[derive(Debug, Clone)]
pub struct Bar {
    /// Its label on the category axis.
    pub label: String,
    /// Its value.
    pub value: f64,
    /// Its fill.
    pub colour: &'static str,
    /// Where clicking the bar leads (a drill-down), if anywhere.
    pub link: Option<String>,
}

/// Horizontal bars, one per row, with the value written at the bar's end: the best shape for
/// counts by name (categories, outcomes, rigs). `None` when there is nothing to draw.
pub fn horizontal_bars(bars: &[Bar], value_axis: &str) -> Option<String> {
    if bars.is_empty() || bars.iter().all(|b| b.value <= 0.0) {
        return None;
    }
    let (label_w, plot_w, row_h) = (190.0, 430.0, 30.0);
    let height = 40.0 + row_h * bars.len() as f64;
    let (top, _) = nice_axis(bars.iter().map(|b| b.value).fold(0.0, f64::max));
    let mut svg = open(label_w + plot_w + 70.0, height + 10.0, "chart bars");
    for (i, b) in bars.iter().enumerate() {
        let y = 8.0 + row_h * i as f64;
        let w = (b.value / top * plot_w).max(if b.value > 0.0 { 2.0 } else { 0.0 });
        if let Some(href) = &b.link {
            let _ = write!(svg, r#"<a href="{}">"#, escape(href));
        }
        let _ = write!(
            svg,
            r#"<text x="{lx}" y="{ty}" text-anchor="end" class="lbl">{label}</text><rect x="{label_w}" y="{y}" width="{w:.1}" height="{bh}" fill="{c}"><title>{label}: {v}</title></rect><text x="{vx:.1}" y="{ty}" class="val">{v}</text>"#,
            lx = label_w - 8.0,
            ty = y + row_h * 0.55,
            label = escape(&b.label),
            bh = row_h - 8.0,
            c = b.colour,
            v = tick_label(b.value),
            vx = label_w + w + 6.0,
        );
        if b.link.is_some() {
            svg.push_str("</a>");
        }
    }
    let _ = write!(
        svg,
        r#"<line x1="{label_w}" y1="4" x2="{label_w}" y2="{base}" class="axis"/><text x="{cx}" y="{ly}" text-anchor="middle" class="axl">{axis}</text></svg>"#,
        base = height - 28.0,
        cx = label_w + plot_w / 2.0,
        ly = height - 6.0,
        axis = escape(value_axis),
    );
    Some(svg)
}

/// One series of a column chart: a name (for the legend), a colour and one value per column.
#[derive(Debug, Clone)]
pub struct Series {
    /// Legend text.
    pub name: String,
    /// Fill.
    pub colour: &'static str,
    /// One value per column.
    pub values: Vec<f64>,
}

/// Vertical columns, stacked by series, with a y axis, x labels (thinned to fit) and a legend: for
/// counts over time or over depth. `None` when every value is zero.
pub fn stacked_columns(
    columns: &[String],
    series: &[Series],
    x_axis: &str,
    y_axis: &str,
) -> Option<String> {
    linked_columns(columns, series, x_axis, y_axis, &[])
}

/// [`stacked_columns`] whose column `i` leads to `links[i]` when clicked (a drill-down).
pub fn linked_columns(
    columns: &[String],
    series: &[Series],
    x_axis: &str,
    y_axis: &str,
    links: &[String],
) -> Option<String> {
    let totals: Vec<f64> = (0..columns.len())
        .map(|i| {
            series
                .iter()
                .map(|s| s.values.get(i).copied().unwrap_or(0.0))
                .sum()
        })
        .collect();
    if totals.iter().all(|t| *t <= 0.0) {
        return None;
    }
    let (left, plot_w, plot_h, top_pad) = (64.0, 640.0, 220.0, 12.0);
    let legend_rows = series.len().div_ceil(3) as f64;
    let height = top_pad + plot_h + 56.0 + 22.0 * legend_rows;
    let max = totals.iter().copied().fold(0.0, f64::max);
    // Counts are whole: no tick at a quarter of an event.
    let whole = series
        .iter()
        .all(|s| s.values.iter().all(|v| v.fract() == 0.0));
    let (top, step) = match nice_axis(max) {
        (_, step) if whole && step < 1.0 => (max.ceil().max(1.0), 1.0),
        axis => axis,
    };
    let frame = Frame {
        left,
        plot_w,
        plot_h,
        top_pad,
        top,
    };
    let mut svg = open(left + plot_w + 20.0, height, "chart");
    y_grid(&mut svg, &frame, step);
    let slot = plot_w / columns.len().max(1) as f64;
    let label_every = (columns.len() as f64 / 10.0).ceil().max(1.0) as usize;
    for (i, column) in columns.iter().enumerate() {
        let link = links.get(i);
        if let Some(href) = link {
            let _ = write!(svg, r#"<a href="{}">"#, escape(href));
        }
        column_svg(
            &mut svg,
            &frame,
            slot,
            i,
            column,
            series,
            i % label_every == 0,
        );
        if link.is_some() {
            svg.push_str("</a>");
        }
    }
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{b}" x2="{r}" y2="{b}" class="axis"/><line x1="{left}" y1="{top_pad}" x2="{left}" y2="{b}" class="axis"/><text x="{cx}" y="{xl}" text-anchor="middle" class="axl">{x_axis}</text><text transform="translate(14 {cy}) rotate(-90)" text-anchor="middle" class="axl">{y_axis}</text>"#,
        b = top_pad + plot_h,
        r = left + plot_w,
        cx = left + plot_w / 2.0,
        xl = top_pad + plot_h + 38.0,
        cy = top_pad + plot_h / 2.0,
        x_axis = escape(x_axis),
        y_axis = escape(y_axis),
    );
    legend(
        &mut svg,
        series.iter().map(|s| (s.name.as_str(), s.colour)),
        left,
        top_pad + plot_h + 52.0,
    );
    svg.push_str("</svg>");
    Some(svg)
}

/// A column chart's plot area, and the value at its top.
struct Frame {
    left: f64,
    plot_w: f64,
    plot_h: f64,
    top_pad: f64,
    top: f64,
}

impl Frame {
    fn y_of(&self, v: f64) -> f64 {
        self.top_pad + self.plot_h - v / self.top * self.plot_h
    }
}

/// Horizontal grid lines with their values, every `step` up to the top.
fn y_grid(svg: &mut String, f: &Frame, step: f64) {
    let mut tick = 0.0;
    while tick <= f.top + step * 0.01 {
        let _ = write!(
            svg,
            r#"<line x1="{left}" y1="{y:.1}" x2="{r}" y2="{y:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="val">{l}</text>"#,
            left = f.left,
            y = f.y_of(tick),
            r = f.left + f.plot_w,
            tx = f.left - 6.0,
            ty = f.y_of(tick) + 4.0,
            l = tick_label(tick),
        );
        tick += step;
    }
}

/// Column `i`: its series stacked, each with a tooltip, and its label when `labelled`.
fn column_svg(
    svg: &mut String,
    f: &Frame,
    slot: f64,
    i: usize,
    column: &str,
    series: &[Series],
    labelled: bool,
) {
    let bar_w = (slot * 0.8).max(1.0);
    let x = f.left + slot * i as f64 + (slot - bar_w) / 2.0;
    let mut base = 0.0;
    for s in series {
        let v = s.values.get(i).copied().unwrap_or(0.0);
        if v <= 0.0 {
            continue;
        }
        let _ = write!(
            svg,
            r#"<rect x="{x:.1}" y="{y:.1}" width="{bar_w:.1}" height="{h:.1}" fill="{c}"><title>{col} — {name}: {v}</title></rect>"#,
            y = f.y_of(base + v),
            h = v / f.top * f.plot_h,
            c = s.colour,
            col = escape(column),
            name = escape(&s.name),
            v = tick_label(v),
        );
        base += v;
    }
    if labelled {
        let _ = write!(
            svg,
            r#"<text x="{cx:.1}" y="{ly}" text-anchor="middle" class="val">{l}</text>"#,
            cx = x + bar_w / 2.0,
            ly = f.top_pad + f.plot_h + 16.0,
            l = escape(column),
        );
    }
}

fn legend<'a>(
    svg: &mut String,
    items: impl Iterator<Item = (&'a str, &'a str)>,
    left: f64,
    top: f64,
) {
    for (i, (name, colour)) in items.enumerate() {
        let x = left + 220.0 * (i % 3) as f64;
        let y = top + 22.0 * (i / 3) as f64;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="{y}" width="14" height="14" fill="{colour}"/><text x="{tx}" y="{ty}" class="lbl">{name}</text>"#,
            tx = x + 20.0,
            ty = y + 12.0,
            name = escape(name),
        );
    }
}

/// A point on a timeline: when, how deep, what colour, and what its tooltip says.
#[derive(Debug, Clone)]
pub struct Point {
    /// Seconds since the Unix epoch.
    pub at: i64,
    /// Measured depth, ft.
    pub depth_ft: f64,
    /// Fill.
    pub colour: &'static str,
    /// Tooltip.
    pub title: String,
    /// Where clicking the dot leads (the event's row), if anywhere.
    pub link: Option<String>,
}

/// Events as dots on time (x) against depth (y, deeper downwards, as a well log reads); with a
/// legend of the colours used. `None` without points.
pub fn timeline(points: &[Point], legend_items: &[(&str, &'static str)]) -> Option<String> {
    let first = points.iter().map(|p| p.at).min()?;
    let last = points.iter().map(|p| p.at).max()?;
    let (left, plot_w, plot_h, top_pad) = (72.0, 620.0, 220.0, 12.0);
    // At least an hour wide, the events in its middle, and labelled with the axis's own ends:
    // events minutes apart are not squeezed into its first tenth under labels that say otherwise.
    let width = (last - first).max(3_600);
    let start = first - (width - (last - first)) / 2;
    let end = start + width;
    let (shallow, deep, step) = depth_axis(points.iter().map(|p| p.depth_ft));
    let y_of = |d: f64| top_pad + (d.clamp(shallow, deep) - shallow) / (deep - shallow) * plot_h;
    let mut svg = open(left + plot_w + 30.0, top_pad + plot_h + 80.0, "chart");
    let mut tick = shallow;
    while tick <= deep + step * 0.01 {
        let y = y_of(tick);
        let _ = write!(
            svg,
            r#"<line x1="{left}" y1="{y:.1}" x2="{r}" y2="{y:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="val">{l}</text>"#,
            r = left + plot_w,
            tx = left - 6.0,
            ty = y + 4.0,
            l = tick_label(tick),
        );
        tick += step;
    }
    for p in points {
        let x = left + (p.at - start) as f64 / width as f64 * plot_w;
        let y = y_of(p.depth_ft);
        if let Some(href) = &p.link {
            let _ = write!(svg, r#"<a href="{}">"#, escape(href));
        }
        let _ = write!(
            svg,
            r##"<circle cx="{x:.1}" cy="{y:.1}" r="6" fill="{c}" stroke="black" stroke-width="0.6"><title>{t}</title></circle>"##,
            c = p.colour,
            t = escape(&p.title),
        );
        if p.link.is_some() {
            svg.push_str("</a>");
        }
    }
    let fmt = |s: i64| {
        chrono::DateTime::from_timestamp(s, 0)
            .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
            .unwrap_or_default()
    };
    let _ = write!(
        svg,
        r#"<line x1="{left}" y1="{b}" x2="{r}" y2="{b}" class="axis"/><text x="{left}" y="{tl}" class="val">{a}</text><text x="{r}" y="{tl}" text-anchor="end" class="val">{z}</text><text x="{cx}" y="{xl}" text-anchor="middle" class="axl">time (UTC)</text><text transform="translate(14 {cy}) rotate(-90)" text-anchor="middle" class="axl">measured depth (ft)</text>"#,
        b = top_pad + plot_h,
        r = left + plot_w,
        tl = top_pad + plot_h + 16.0,
        a = fmt(start),
        z = fmt(end),
        cx = left + plot_w / 2.0,
        xl = top_pad + plot_h + 34.0,
        cy = top_pad + plot_h / 2.0,
    );
    legend(
        &mut svg,
        legend_items.iter().copied(),
        left,
        top_pad + plot_h + 46.0,
    );
    svg.push_str("</svg>");
    Some(svg)
}

/// A small trend line of `values` (NaN for gaps) scaled to their own range, for a gauge.
pub fn sparkline(values: &[f64], colour: &str) -> Option<String> {
    let finite = values.iter().copied().filter(|v| v.is_finite());
    let (lo, hi) = finite.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    trend_line(values, (lo, hi), None, colour)
}

/// A trend line of `values` (NaN for gaps) on the fixed scale `range` (values beyond it drawn at
/// its edge), over the shaded `band` (the baseline's normal range) where there is one.
pub fn trend_line(
    values: &[f64],
    range: (f64, f64),
    band: Option<(f64, f64)>,
    colour: &str,
) -> Option<String> {
    let finite = finite_points(values);
    if finite.len() < 2 || !(range.0.is_finite() && range.1.is_finite()) {
        return None;
    }
    let (w, h) = (240.0, 48.0);
    let (lo, hi) = range;
    let span = if hi - lo > 1e-9 { hi - lo } else { 1.0 };
    let y = |v: f64| h - 3.0 - ((v - lo) / span).clamp(0.0, 1.0) * (h - 6.0);
    let n = (values.len() - 1).max(1) as f64;
    let path: Vec<String> = finite
        .iter()
        .map(|(i, v)| format!("{:.1},{:.1}", *i as f64 / n * w, y(*v)))
        .collect();
    let band = band
        .filter(|(a, b)| a.is_finite() && b.is_finite())
        .map(|(a, b)| {
            let (top, bottom) = (y(b), y(a));
            format!(
                r#"<rect x="0" y="{top:.1}" width="{w}" height="{:.1}" fill="{colour}" opacity="0.18"/>"#,
                (bottom - top).max(1.0)
            )
        })
        .unwrap_or_default();
    Some(format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" class="spark" role="img">{band}<polyline points="{}" fill="none" stroke="{colour}" stroke-width="2.5"/></svg>"#,
        path.join(" ")
    ))
}

/// A value axis around the data (not from zero): round ends a step beyond the lowest and highest
/// value, four or five ticks between them.
fn range_axis(lo: f64, hi: f64) -> (f64, f64, f64) {
    let pad = if hi - lo > 1e-9 {
        0.0
    } else {
        (lo.abs() * 0.05).max(1.0)
    };
    let (lo, hi) = (lo - pad, hi + pad);
    let (_, step) = nice_axis(hi - lo);
    let bottom = (lo / step).floor() * step;
    let top = ((hi / step).ceil() * step).max(bottom + step);
    (bottom, top, step)
}

/// A moment marked on a [`time_chart`]: a dashed vertical line with a word at its top.
#[derive(Debug, Clone)]
pub struct Mark {
    /// Seconds since the Unix epoch.
    pub at: i64,
    /// Its word ("opened", "cleared").
    pub label: String,
}

/// One channel over time for a printed report: `values` (NaN for gaps) in equal slices from
/// `from` to `to` (Unix seconds), on an axis around the data labelled `y_axis`, the times in UTC
/// under it and the `marks` across it. `None` with fewer than two readings.
pub fn time_chart(
    values: &[f64],
    (from, to): (i64, i64),
    y_axis: &str,
    marks: &[Mark],
    colour: &str,
) -> Option<String> {
    let finite = finite_points(values);
    if finite.len() < 2 || to <= from {
        return None;
    }
    let (lo, hi) = finite
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), (_, v)| {
            (lo.min(*v), hi.max(*v))
        });
    let (bottom, top, step) = range_axis(lo, hi);
    let (left, plot_w, plot_h, top_pad) = (62.0, 470.0, 120.0, 16.0);
    let y_of = |v: f64| top_pad + plot_h - (v - bottom) / (top - bottom) * plot_h;
    let x_of = |secs: f64| left + (secs - from as f64) / (to - from) as f64 * plot_w;
    let mut svg = open(left + plot_w + 12.0, top_pad + plot_h + 40.0, "chart time");
    let mut tick = bottom;
    while tick <= top + step * 0.01 {
        let _ = write!(
            svg,
            r#"<line x1="{left}" y1="{y:.1}" x2="{r}" y2="{y:.1}" class="grid"/><text x="{tx}" y="{ty:.1}" text-anchor="end" class="val">{l}</text>"#,
            y = y_of(tick),
            r = left + plot_w,
            tx = left - 5.0,
            ty = y_of(tick) + 4.0,
            l = tick_label((tick / step).round() * step),
        );
        tick += step;
    }
    // Five times along the bottom; with seconds when the whole span is a few minutes.
    let span = (to - from) as f64;
    let format = if span < 600.0 { "%H:%M:%S" } else { "%H:%M" };
    for k in 0..=4 {
        let secs = from as f64 + span * f64::from(k) / 4.0;
        let label = chrono::DateTime::from_timestamp(secs as i64, 0)
            .map(|t| t.format(format).to_string())
            .unwrap_or_default();
        let anchor = match k {
            0 => "start",
            4 => "end",
            _ => "middle",
        };
        let _ = write!(
            svg,
            r#"<text x="{x:.1}" y="{y}" text-anchor="{anchor}" class="val">{label}</text>"#,
            x = x_of(secs),
            y = top_pad + plot_h + 16.0,
        );
    }
    // Moments seconds apart (opened, escalated twice) share one label: the first one's.
    let mut labelled_until = f64::NEG_INFINITY;
    for m in marks.iter().filter(|m| (from..=to).contains(&m.at)) {
        let x = x_of(m.at as f64);
        let _ = write!(
            svg,
            r##"<line x1="{x:.1}" y1="{top_pad}" x2="{x:.1}" y2="{b}" stroke="#c0001a" stroke-dasharray="4 3"/>"##,
            b = top_pad + plot_h,
        );
        if x >= labelled_until {
            // A mark near the right edge is labelled to its left, not cut off.
            let width = 7.0 * m.label.chars().count() as f64;
            let (tx, anchor) = if x + width + 3.0 > left + plot_w + 10.0 {
                (x - 3.0, "end")
            } else {
                (x + 3.0, "start")
            };
            let _ = write!(
                svg,
                r#"<text x="{tx:.1}" y="{ty}" text-anchor="{anchor}" class="val mark">{l}</text>"#,
                ty = top_pad - 4.0,
                l = escape(&m.label),
            );
            labelled_until = x + width + 8.0;
        }
    }
    let n = (values.len() - 1).max(1) as f64;
    // A gap in the readings is a gap in the line, not a straight line across it.
    let mut path = String::new();
    let mut previous: Option<usize> = None;
    for (i, v) in &finite {
        let x = left + *i as f64 / n * plot_w;
        let verb = if previous.is_some_and(|p| p + 1 == *i) {
            'L'
        } else {
            'M'
        };
        let _ = write!(path, "{verb}{x:.1},{:.1} ", y_of(*v));
        previous = Some(*i);
    }
    let _ = write!(
        svg,
        r#"<path d="{path}" fill="none" stroke="{colour}" stroke-width="1.6"/><line x1="{left}" y1="{b}" x2="{r}" y2="{b}" class="axis"/><line x1="{left}" y1="{top_pad}" x2="{left}" y2="{b}" class="axis"/><text transform="translate(12 {cy}) rotate(-90)" text-anchor="middle" class="axl">{y_axis}</text><text x="{cx}" y="{xl}" text-anchor="middle" class="axl">time (UTC)</text></svg>"#,
        b = top_pad + plot_h,
        r = left + plot_w,
        cy = top_pad + plot_h / 2.0,
        cx = left + plot_w / 2.0,
        xl = top_pad + plot_h + 34.0,
        y_axis = escape(y_axis),
    );
    Some(svg)
}

/// The readings of a series with their places (gaps left out).
fn finite_points(values: &[f64]) -> Vec<(usize, f64)> {
    values
        .iter()
        .copied()
        .enumerate()
        .filter(|(_, v)| v.is_finite())
        .collect()
}

fn open(width: f64, height: f64, class: &str) -> String {
    format!(
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width:.0} {height:.0}" class="{class}" role="img">"#
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_linked_column_leads_where_it_says_and_a_plain_one_nowhere() {
        let columns = vec!["12-01".to_owned(), "12-02".to_owned()];
        let series = [Series {
            name: "events".into(),
            colour: "#000",
            values: vec![1.0, 2.0],
        }];
        let links = vec!["/a?from=1&to=1".to_owned(), "/b".to_owned()];
        let svg = linked_columns(&columns, &series, "day", "events", &links).expect("svg");
        assert!(svg.contains(r#"<a href="/a?from=1&amp;to=1">"#), "{svg}");
        assert_eq!(svg.matches("<a href").count(), 2);
        let plain = stacked_columns(&columns, &series, "day", "events").expect("svg");
        assert!(!plain.contains("<a href"));
    }

    #[test]
    fn a_time_chart_breaks_its_line_at_gaps_and_marks_only_what_falls_inside() {
        let values = [10.0, 11.0, f64::NAN, 13.0, 14.0];
        let marks = [
            Mark {
                at: 1_000,
                label: "opened".into(),
            },
            Mark {
                at: 5_000,
                label: "<later>".into(),
            },
        ];
        let svg = time_chart(&values, (0, 2_000), "SPP (psi)", &marks, "#000").expect("svg");
        // Two runs of readings: two moves, two lines.
        let d = svg.split("d=\"").nth(1).expect("path");
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(svg.contains(">opened<"));
        assert!(
            !svg.contains("later"),
            "a mark outside the span is not drawn"
        );
        // The axis is around the data, not from zero: 10 to 14 ticks at whole numbers.
        assert!(
            svg.contains(">10<") && svg.contains(">14<") && !svg.contains(">0<"),
            "{svg}"
        );
        assert!(time_chart(&[f64::NAN, 1.0], (0, 10), "x", &[], "#000").is_none());
    }

    #[test]
    fn labels_are_escaped() {
        let svg = horizontal_bars(
            &[Bar {
                label: "<script>alert(1)</script>".into(),
                value: 3.0,
                colour: "#000",
                link: None,
            }],
            "events",
        )
        .expect("chart");
        assert!(!svg.contains("<script>"), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
    }

    #[test]
    fn nothing_to_draw_is_none_not_an_empty_chart() {
        assert!(horizontal_bars(&[], "events").is_none());
        let zero = Series {
            name: "kick".into(),
            colour: "#000",
            values: vec![0.0, 0.0],
        };
        assert!(stacked_columns(&["a".into(), "b".into()], &[zero], "day", "events").is_none());
        assert!(timeline(&[], &[]).is_none());
        assert!(sparkline(&[1.0], "#000").is_none());
        assert!(sparkline(&[f64::NAN, 2.0, f64::INFINITY], "#000").is_none());
    }

    #[test]
    fn a_timeline_is_labelled_with_its_own_ends_and_its_depths_fit_the_data() {
        let at = 1_796_000_000;
        let point = |at: i64, depth_ft: f64| Point {
            at,
            depth_ft,
            colour: "#000",
            title: String::new(),
            link: Some(format!("#event-{at}")),
        };
        // Two events five minutes apart at 9,100 and 9,180 ft (issue 18: labelled 14:23 → 14:28
        // with every dot in the axis's first 7 %, on a 0–15,000 ft depth axis).
        let svg = timeline(&[point(at, 9_100.0), point(at + 300, 9_180.0)], &[]).expect("svg");
        assert!(
            svg.contains(&format!(r##"<a href="#event-{at}"><circle"##)),
            "{svg}"
        );
        let label = |s: i64| {
            chrono::DateTime::from_timestamp(s, 0)
                .expect("time")
                .format("%Y-%m-%d %H:%M")
                .to_string()
        };
        assert!(svg.contains(&label(at - 1_650)), "{svg}");
        assert!(svg.contains(&label(at + 1_950)), "{svg}");
        let xs: Vec<f64> = svg
            .split("<circle cx=\"")
            .skip(1)
            .filter_map(|s| s.split('"').next()?.parse().ok())
            .collect();
        assert!(xs.iter().all(|x| (300.0..=480.0).contains(x)), "{xs:?}");
        let (shallow, deep, _) = depth_axis([9_100.0, 9_180.0].into_iter());
        assert!(shallow >= 8_500.0 && deep <= 9_800.0, "{shallow}–{deep}");
        assert!(shallow <= 9_100.0 && deep >= 9_180.0);
        let (shallow, deep, _) = depth_axis([150.0, 12_000.0].into_iter());
        assert!(shallow == 0.0 && deep >= 12_000.0, "{shallow}–{deep}");
        // No point on an edge: 2,500 and 12,500 ft fall on round ticks.
        let (shallow, deep, step) = depth_axis([2_500.0, 12_500.0].into_iter());
        assert!(
            shallow <= 2_500.0 - step * 0.1 && deep >= 12_500.0 + step * 0.1,
            "{shallow}–{deep}"
        );
    }

    #[test]
    fn a_column_of_one_event_has_whole_ticks() {
        let one = Series {
            name: "events".into(),
            colour: "#000",
            values: vec![0.0, 1.0, 0.0],
        };
        let svg = stacked_columns(
            &["a".into(), "b".into(), "c".into()],
            &[one],
            "day",
            "events",
        )
        .expect("svg");
        assert!(!svg.contains(">0.25<") && !svg.contains(">0.5<"), "{svg}");
        assert!(svg.contains(">1<"), "{svg}");
    }

    #[test]
    fn axis_tops_are_round_and_cover_the_data() {
        for (max, top) in [(7.0, 8.0), (93.0, 100.0), (1_234.0, 1_500.0), (0.37, 0.4)] {
            let (t, step) = nice_axis(max);
            assert!((t - top).abs() < 1e-9, "{max} -> {t}");
            assert!(t >= max && step > 0.0);
        }
    }

    #[test]
    fn stacked_columns_stack_series_to_the_column_total() {
        let series = [
            Series {
                name: "kick".into(),
                colour: "#d62728",
                values: vec![2.0, 0.0],
            },
            Series {
                name: "washout".into(),
                colour: "#9467bd",
                values: vec![2.0, 1.0],
            },
        ];
        let svg = stacked_columns(&["d1".into(), "d2".into()], &series, "day (UTC)", "events")
            .expect("chart");
        // Column 1 totals 4 = the axis top (nice_axis(4) = 4): its upper segment starts at the top.
        assert!(svg.contains(r#"y="12.0" width"#), "{svg}");
        assert_eq!(
            svg.matches("<rect x=\"").count() - 2,
            3,
            "3 non-zero segments + 2 legend swatches"
        );
        assert!(svg.contains("day (UTC)") && svg.contains(">events<"));
    }
}
