//! The overview's chart as inline-SVG geometry: jobs finished per minute (bars) and their p95
//! run time (a line) over the last hour. The template only draws what this computes.

use serde::Serialize;

use comptoir_domain::ledger::MinuteBucket;

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 170.0;

#[derive(Serialize)]
pub struct Bar {
    x: f64,
    y: f64,
    width: f64,
    height: f64,
    /// The tooltip: the minute and its figures.
    title: String,
}

#[derive(Serialize)]
pub struct Point {
    x: f64,
    y: f64,
}

#[derive(Serialize)]
pub struct Chart {
    width: f64,
    height: f64,
    bars: Vec<Bar>,
    /// The p95 line's points (minutes where something finished).
    p95: Vec<Point>,
    max_finished: i64,
    max_p95_ms: Option<f64>,
    finished_total: i64,
}

/// A nice round top for an axis, so its label reads well.
fn axis_top(max: f64) -> f64 {
    let magnitude = 10f64.powf(max.max(1.0).log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .into_iter()
        .map(|step| step * magnitude)
        .find(|top| *top >= max)
        .unwrap_or(10.0 * magnitude)
}

pub fn build(buckets: &[MinuteBucket]) -> Chart {
    let slot = WIDTH / buckets.len().max(1) as f64;
    let max_finished = buckets.iter().map(|b| b.finished).max().unwrap_or(0);
    let count_top = axis_top(max_finished as f64);
    let max_p95 = buckets.iter().filter_map(|b| b.p95_ms).reduce(f64::max);
    let latency_top = axis_top(max_p95.unwrap_or(0.0));
    let bars = buckets
        .iter()
        .enumerate()
        .map(|(at, bucket)| {
            let height = HEIGHT * bucket.finished as f64 / count_top;
            Bar {
                x: at as f64 * slot + 1.0,
                y: HEIGHT - height,
                width: (slot - 2.0).max(1.0),
                height,
                title: format!(
                    "{}: {} finished, p95 {}",
                    bucket.minute.format("%H:%M"),
                    bucket.finished,
                    bucket
                        .p95_ms
                        .map_or("–".to_owned(), |ms| format!("{ms:.0} ms"))
                ),
            }
        })
        .collect();
    let p95 = buckets
        .iter()
        .enumerate()
        .filter_map(|(at, bucket)| {
            let ms = bucket.p95_ms?;
            Some(Point {
                x: at as f64 * slot + slot / 2.0,
                y: HEIGHT - HEIGHT * ms / latency_top,
            })
        })
        .collect();
    Chart {
        width: WIDTH,
        height: HEIGHT,
        bars,
        p95,
        max_finished: count_top as i64,
        max_p95_ms: max_p95.map(|_| latency_top),
        finished_total: buckets.iter().map(|b| b.finished).sum(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn axis_tops_are_round() {
        assert_eq!(axis_top(0.0), 1.0);
        assert_eq!(axis_top(3.0), 5.0);
        assert_eq!(axis_top(42.0), 50.0);
        assert_eq!(axis_top(1200.0), 2000.0);
    }
}
