//! Axes: round tick steps, linear and log-10 scales from data to pixels, and tick labels people read at a glance
//! (`8000`, not `8000.0`; `0.1 %`, not `0.0010`).

/// The round step (1, 2, 2.5 or 5 × 10^k) that cuts `span` into about `target` intervals.
pub fn nice_step(span: f64, target: usize) -> f64 {
    let raw = span.abs() / target.max(1) as f64;
    if !raw.is_finite() || raw <= 0.0 {
        return 1.0;
    }
    let magnitude = 10f64.powf(raw.log10().floor());
    let fraction = raw / magnitude;
    let nice = [1.0, 2.0, 2.5, 5.0, 10.0].into_iter().find(|&n| fraction <= n * (1.0 + 1e-9)).unwrap_or(10.0);
    nice * magnitude
}

/// Multiples of `step` from `lo` to `hi` (both included when they are multiples).
pub fn ticks(lo: f64, hi: f64, step: f64) -> Vec<f64> {
    let first = (lo / step - 1e-9).ceil() as i64;
    let last = (hi / step + 1e-9).floor() as i64;
    (first..=last).map(|k| clean(k as f64 * step)).collect()
}

/// `v` without floating-point dust (`0.30000000000000004` → `0.3`) and without a negative zero.
fn clean(v: f64) -> f64 {
    let rounded = (v * 1e9).round() / 1e9;
    if rounded == 0.0 {
        0.0
    } else {
        rounded
    }
}

/// Decimal places needed to tell ticks `step` apart (0 for whole steps).
pub fn decimals(step: f64) -> usize {
    let mut places = 0;
    while places < 9 && ((step * 10f64.powi(places as i32)).round() - step * 10f64.powi(places as i32)).abs() > 1e-6 {
        places += 1;
    }
    places
}

/// A tick label: whole numbers without a decimal point and with thousands separators (`8,000`), fractions with
/// just the places the step needs.
pub fn format_number(v: f64, places: usize) -> String {
    let text = format!("{:.*}", places, clean(v));
    let text = if text.trim_start_matches('-').chars().all(|c| c == '0' || c == '.') {
        text.trim_start_matches('-').to_string()
    } else {
        text
    };
    let (sign, digits) = text.strip_prefix('-').map_or(("", text.as_str()), |d| ("-", d));
    let (whole, fraction) = digits.split_once('.').map_or((digits, None), |(w, f)| (w, Some(f)));
    let mut grouped = String::new();
    for (i, c) in whole.chars().enumerate() {
        if i > 0 && (whole.len() - i) % 3 == 0 && whole.len() > 3 {
            grouped.push(',');
        }
        grouped.push(c);
    }
    match fraction {
        Some(f) => format!("{sign}{grouped}.{f}"),
        None => format!("{sign}{grouped}"),
    }
}

/// A share (0–1) as a percentage with as few places as its size needs: `100 %`, `1 %`, `0.1 %`, `0.01 %`.
pub fn format_percent(share: f64) -> String {
    let percent = share * 100.0;
    let places = if percent >= 1.0 || percent == 0.0 { 0 } else { (-percent.log10()).ceil() as usize };
    format!("{} %", format_number(percent, places.min(6)))
}

/// A measured rate (0–1) as a percentage precise enough to compare: one decimal from 1 % up (`99.2 %`), two
/// significant digits below (`0.052 %`). Tick labels use [`format_percent`].
pub fn format_rate(share: f64) -> String {
    let percent = share * 100.0;
    let places = if percent >= 1.0 || percent == 0.0 { 1 } else { (1.0 - percent.log10().floor()) as usize };
    format!("{} %", format_number(percent, places.min(8)))
}

/// A linear map from a data interval to a pixel interval (pixels may run backwards, as y does).
#[derive(Debug, Clone, Copy)]
pub struct Linear {
    /// Data interval.
    pub domain: (f64, f64),
    /// Pixel interval.
    pub range: (f64, f64),
}

impl Linear {
    /// The pixel position of `v`.
    pub fn px(&self, v: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        if d1 == d0 {
            return (r0 + r1) / 2.0;
        }
        r0 + (v - d0) / (d1 - d0) * (r1 - r0)
    }

    /// The data value at pixel `px`.
    pub fn value(&self, px: f64) -> f64 {
        let (d0, d1) = self.domain;
        let (r0, r1) = self.range;
        d0 + (px - r0) / (r1 - r0) * (d1 - d0)
    }
}

/// A log-10 map from a positive data interval to pixels; values at or below the lower end sit on the axis.
#[derive(Debug, Clone, Copy)]
pub struct Log10 {
    /// Positive data interval.
    pub domain: (f64, f64),
    /// Pixel interval.
    pub range: (f64, f64),
}

impl Log10 {
    /// The pixel position of `v` (clamped to the lower end for `v` ≤ the domain's start, including 0).
    pub fn px(&self, v: f64) -> f64 {
        let lo = self.domain.0.log10();
        let hi = self.domain.1.log10();
        Linear { domain: (lo, hi), range: self.range }.px(v.max(self.domain.0).log10())
    }

    /// The powers of ten inside the domain.
    pub fn decades(&self) -> Vec<f64> {
        let lo = self.domain.0.log10().ceil() as i32;
        let hi = self.domain.1.log10().floor() as i32;
        (lo..=hi).map(|k| 10f64.powi(k)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_round() {
        assert_eq!(nice_step(10.0, 10), 1.0);
        assert_eq!(nice_step(20_338.0, 5), 5000.0);
        assert_eq!(nice_step(0.9, 4), 0.25);
        assert_eq!(nice_step(37.0, 10), 5.0);
        assert_eq!(nice_step(0.0, 5), 1.0);
    }

    #[test]
    fn ticks_cover_the_interval_without_dust() {
        assert_eq!(ticks(0.0, 1.0, 0.1).len(), 11);
        assert_eq!(ticks(0.0, 1.0, 0.1)[3], 0.3);
        assert_eq!(ticks(-7.3, 12.0, 5.0), vec![-5.0, 0.0, 5.0, 10.0]);
    }

    #[test]
    fn labels_read_like_people_write_them() {
        assert_eq!(format_number(8000.0, decimals(2000.0)), "8,000");
        assert_eq!(format_number(800.0, 0), "800");
        assert_eq!(format_number(20_000.0, 0), "20,000");
        assert_eq!(format_number(1_234_567.0, 0), "1,234,567");
        assert_eq!(format_number(-12_500.0, 0), "-12,500");
        assert_eq!(format_number(2.5, decimals(2.5)), "2.5");
        assert_eq!(format_number(-0.0000001, 1), "0.0");
        assert_eq!(decimals(0.25), 2);
        assert_eq!(format_percent(1.0), "100 %");
        assert_eq!(format_percent(0.01), "1 %");
        assert_eq!(format_percent(0.001), "0.1 %");
        assert_eq!(format_percent(0.0001), "0.01 %");
        assert_eq!(format_rate(0.9992), "99.9 %");
        assert_eq!(format_rate(0.0123), "1.2 %");
        assert_eq!(format_rate(0.00052), "0.052 %");
    }

    #[test]
    fn scales_map_both_ways() {
        let y = Linear { domain: (0.0, 100.0), range: (300.0, 100.0) };
        assert_eq!(y.px(50.0), 200.0);
        assert_eq!(y.value(100.0), 100.0);
        let x = Log10 { domain: (1e-3, 1.0), range: (0.0, 300.0) };
        assert_eq!(x.px(1e-2), 100.0);
        assert_eq!(x.px(0.0), 0.0, "zero sits on the axis");
        assert_eq!(x.decades(), vec![1e-3, 1e-2, 1e-1, 1.0]);
    }
}
