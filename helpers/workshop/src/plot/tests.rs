//! Figures checked the way a reader looks at them: every series visible, nothing clipped, clean ticks, the legend
//! over no data.

use super::legend::Rect;
use super::*;

/// The value of `name="…"` in an SVG element line.
fn attr(line: &str, name: &str) -> Option<String> {
    let start = line.find(&format!(" {name}=\""))? + name.len() + 3;
    let end = line[start..].find('"')? + start;
    Some(line[start..end].to_string())
}

fn num(line: &str, name: &str) -> f64 {
    attr(line, name).and_then(|v| v.parse().ok()).unwrap_or(f64::NAN)
}

/// The bars (x, y, w, h) of the series labelled `label`.
fn bars(svg: &str, label: &str) -> Vec<Rect> {
    let mut inside = false;
    let mut out = Vec::new();
    for line in svg.lines() {
        if line.starts_with("<g class=\"series\"") {
            inside = attr(line, "data-label").as_deref() == Some(label);
        } else if line.starts_with("</g>") {
            inside = false;
        } else if inside && line.starts_with("<rect") {
            out.push(Rect { x: num(line, "x"), y: num(line, "y"), w: num(line, "width"), h: num(line, "height") });
        }
    }
    out
}

fn texts(svg: &str, class: &str) -> Vec<String> {
    svg.lines()
        .filter(|l| l.starts_with("<text") && attr(l, "class").as_deref() == Some(class))
        .map(|l| l[l.find('>').unwrap() + 1..l.rfind("</text>").unwrap()].to_string())
        .collect()
}

fn overlaps(a: Rect, b: Rect) -> bool {
    a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h
}

/// Training-like scores (many, mostly 2–14) and finding-like scores (few, low), as in the workshop.
fn workshop_like() -> (Vec<f32>, Vec<f32>) {
    let train: Vec<f32> = (0..20_338).map(|i| 2.0 + 12.5 * ((i * 7919) % 20_338) as f32 / 20_338.0).collect();
    let findings: Vec<f32> = (0..56).map(|i| -6.0 + (i % 9) as f32 * 0.7).collect();
    (train, findings)
}

#[test]
fn a_small_series_is_as_visible_as_a_large_one() {
    let (train, findings) = workshop_like();
    let fig = overlaid_histograms(
        &[
            Series { label: "GuardDuty", values: &findings, color: RED },
            Series { label: "Training", values: &train, color: BLUE },
        ],
        10,
        "IP Insights Score Histogram",
        "IP Insights Score",
        &[],
    );
    let tallest = |label| bars(&fig.svg, label).iter().map(|r| r.h).fold(0.0, f64::max);
    assert!(tallest("GuardDuty") > 50.0, "GuardDuty bars {} px high", tallest("GuardDuty"));
    assert!(tallest("Training") > 30.0);
    assert!(fig.svg.contains("GuardDuty (n = 56)") && fig.svg.contains("Training (n = 20,338)"), "sizes in legend");
    assert!(fig.svg.contains("Percent of each series"));
    assert!(fig.svg.starts_with("<svg xmlns=\"http://www.w3.org/2000/svg\""));
}

#[test]
fn bins_cover_every_value_of_every_series() {
    let (train, findings) = workshop_like();
    let markers = [Marker { x: 16.5, label: "far threshold" }];
    let series = [
        Series { label: "GuardDuty", values: &findings, color: RED },
        Series { label: "Training", values: &train, color: BLUE },
    ];
    let fig = overlaid_histograms(&series, 10, "t", "x", &markers);
    let axis = fig.svg.split("class=\"axes\"").nth(1).unwrap().lines().nth(1).unwrap().to_string();
    let (left, right) = (num(&axis, "x1"), num(&axis, "x2"));
    for bar in bars(&fig.svg, "GuardDuty").into_iter().chain(bars(&fig.svg, "Training")) {
        assert!(bar.x >= left - 0.05 && bar.x + bar.w <= right + 0.05, "bar {bar:?} outside the axis {left}–{right}");
    }
    let marker = fig.svg.lines().find(|l| l.contains("class=\"marker\"")).unwrap();
    assert!(num(marker, "x1") > left && num(marker, "x1") < right, "the marker is inside the axis");
    // Every value lands in a bin: the percentages of each series add up to 100.
    let edges = bin_edges(-6.0, 16.5, 10);
    let inside = train.iter().filter(|&&v| f64::from(v) >= edges[0] && f64::from(v) < *edges.last().unwrap()).count();
    assert_eq!(inside, train.len());
}

#[test]
fn counts_have_whole_ticks_and_a_light_grid() {
    let values: Vec<f32> = (0..20_000).map(|i| (i % 100) as f32 / 10.0).collect();
    let fig = histogram_figure(&values, 10, "IP Insights Score Histogram (training pairs)", "IP Insights Score");
    let labels = texts(&fig.svg, "y-tick");
    assert!(labels.len() >= 3 && labels.len() <= 8, "{labels:?}");
    assert!(labels.iter().all(|l| !l.contains('.')), "whole counts: {labels:?}");
    assert!(fig.svg.contains("Frequency"));
    let grid_lines =
        fig.svg.split("class=\"grid\"").nth(1).unwrap().split("</g>").next().unwrap().matches("<line").count();
    assert_eq!(grid_lines, labels.len(), "one grid line per y tick, no minor grid");
    let small: Vec<f32> = vec![1.0, 2.0, 2.0, 3.0];
    let labels = texts(&histogram_figure(&small, 10, "t", "x").svg, "y-tick");
    assert!(labels.iter().all(|l| !l.contains('.')), "no 0.5 counts: {labels:?}");
}

#[test]
fn the_legend_hides_no_bar_and_no_marker() {
    let (train, findings) = workshop_like();
    // Data everywhere across the axis: a legend inside would cover bars, so it must move or make room.
    let flat: Vec<f32> = (0..1000).map(|i| i as f32 / 100.0).collect();
    for (a, b) in [(&findings, &train), (&flat, &train), (&flat, &flat)] {
        let fig = overlaid_histograms(
            &[Series { label: "A", values: a, color: RED }, Series { label: "B", values: b, color: BLUE }],
            30,
            "t",
            "x",
            &[Marker { x: 1.0, label: "analyst review" }, Marker { x: 5.0, label: "ask for MFA" }],
        );
        let legend = fig.legend.expect("a legend");
        for bar in bars(&fig.svg, "A").into_iter().chain(bars(&fig.svg, "B")) {
            assert!(!overlaps(bar, legend), "legend {legend:?} covers bar {bar:?}");
        }
        for line in fig.svg.lines().filter(|l| l.starts_with("<line") && l.contains("class=\"marker\"")) {
            let x = num(line, "x1");
            assert!(x < legend.x || x > legend.x + legend.w, "legend covers the marker at {x}");
        }
    }
}

#[test]
fn non_finite_values_are_counted_not_dropped_silently() {
    let values = [1.0f32, f32::NAN, 2.0, f32::INFINITY];
    let fig = overlaid_histograms(&[Series { label: "S", values: &values, color: BLUE }], 5, "t", "x", &[]);
    assert!(fig.svg.contains("S (n = 2), 2 non-finite not shown"), "{}", fig.svg);
}

#[test]
fn roc_reads_the_low_false_positive_region() {
    let normal: Vec<f32> = (0..5000).map(|i| -(i as f32) / 500.0).collect();
    let anomalous: Vec<f32> = (0..5000).map(|i| 3.0 - (i as f32) / 1000.0).collect();
    let points = ipinsights_engine::metrics::roc_curve(&normal, &anomalous);
    let at = |t: f64| *points.iter().find(|p| p.threshold <= t).unwrap();
    let fig = roc_figure(&points, 0.97, &[("analyst review", at(0.5)), ("ask for MFA", at(-1.0))]);
    let ticks = texts(&fig.svg, "x-tick");
    assert_eq!(ticks.first().map(String::as_str), Some("0.01 %"), "{ticks:?}");
    assert_eq!(ticks.last().map(String::as_str), Some("100 %"));
    assert!(fig.svg.contains("log scale"));
    assert!(fig.svg.contains("analyst review: threshold "), "thresholds in the legend");
    assert_eq!(fig.svg.matches("<circle").count(), 2 + 2, "two marked points and their legend dots");
    let legend = fig.legend.unwrap();
    let curve = fig.svg.lines().find(|l| l.starts_with("<polyline")).unwrap();
    for point in attr(curve, "points").unwrap().split(' ') {
        let (x, y) = point.split_once(',').unwrap();
        assert!(!legend.contains((x.parse().unwrap(), y.parse().unwrap()), 0.0), "legend covers the curve");
    }
}

#[test]
fn the_roc_legend_leaves_a_curve_along_the_bottom_uncovered() {
    // A model no better than chance: recall = false-positive rate, a curve along the bottom of the log-scale axis
    // up the right edge, through the corner the legend tries first.
    let scores: Vec<f32> = (0..5000).map(|i| i as f32 / 500.0).collect();
    let points = ipinsights_engine::metrics::roc_curve(&scores, &scores);
    let fig = roc_figure(&points, 0.5, &[("analyst review", points[points.len() / 2])]);
    let legend = fig.legend.unwrap();
    let curve = fig.svg.lines().find(|l| l.starts_with("<polyline")).unwrap();
    for point in attr(curve, "points").unwrap().split(' ') {
        let (x, y) = point.split_once(',').unwrap();
        assert!(!legend.contains((x.parse().unwrap(), y.parse().unwrap()), 0.0), "legend {legend:?} covers {point}");
    }
}

#[test]
fn labels_are_escaped() {
    let fig = histogram_figure(&[1.0], 3, "a < b & c", "x");
    assert!(fig.svg.contains("a &lt; b &amp; c") && !fig.svg.contains("a < b"));
}

#[test]
fn a_legend_that_fits_no_corner_goes_under_the_plot() {
    let normal: Vec<f32> = (0..5000).map(|i| -(i as f32) / 500.0).collect();
    let anomalous: Vec<f32> = (0..5000).map(|i| 3.0 - (i as f32) / 1000.0).collect();
    let points = ipinsights_engine::metrics::roc_curve(&normal, &anomalous);
    let long = "an operating point with a long name that no corner of the plot has room for";
    let fig = roc_figure(&points, 0.97, &[(long, points[points.len() / 3]), (long, points[points.len() / 2])]);
    let axis = fig.svg.split("class=\"axes\"").nth(1).unwrap().lines().nth(1).unwrap().to_string();
    let (left, right, bottom) = (num(&axis, "x1"), num(&axis, "x2"), num(&axis, "y1"));
    assert!(right - left > 600.0, "the plot keeps its width: {left}–{right}");
    let legend = fig.legend.unwrap();
    assert!(legend.y > bottom + 30.0, "legend {legend:?} under the axis title (axis at {bottom})");
    let height: f64 = attr(fig.svg.lines().next().unwrap(), "height").unwrap().parse().unwrap();
    assert!(legend.y + legend.h <= height, "the canvas grows to hold the legend");
}
