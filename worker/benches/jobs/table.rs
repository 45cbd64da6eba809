//! The job benchmark's results: one row per system and round, and the medians over the rounds
//! (the machine's speed drifts between minutes, so each round runs every system back to back).

/// One system's figures in one round.
#[derive(Debug, Clone)]
pub struct Measured {
    pub system: String,
    pub drain_jobs_per_s: f64,
    pub enqueue_jobs_per_s: f64,
    /// p50, p90, p99 of enqueue-to-start, ms.
    pub latency_ms: [f64; 3],
}

fn row(measured: &Measured) {
    let l = measured.latency_ms;
    println!(
        "| {:<28} | {:>9.0} | {:>9.0} | {:>6.1} | {:>6.1} | {:>6.1} |",
        measured.system, measured.drain_jobs_per_s, measured.enqueue_jobs_per_s, l[0], l[1], l[2]
    );
}

fn header() {
    println!(
        "\n| system                       | drain j/s | enqueue/s | p50 ms | p90 ms | p99 ms |"
    );
    println!("|---|---|---|---|---|---|");
}

pub fn print_round(round: usize, results: &[Measured], floor: Option<f64>) {
    println!("\nround {round}:");
    header();
    results.iter().for_each(row);
    print_floor(results, floor);
}

/// The enqueue floor (see `floor.rs`) and how close our enqueue comes to it.
fn print_floor(results: &[Measured], floor: Option<f64>) {
    if let (Some(ours), Some(floor)) = (results.first(), floor) {
        println!(
            "enqueue floor (pgbench, same transaction, 16 clients): {floor:.0} tx/s; comptoir enqueues at {:.0}% of it",
            100.0 * ours.enqueue_jobs_per_s / floor
        );
    }
}

/// The median of the rounds' floors, when every round measured one.
pub fn median_floor(floors: &[Option<f64>]) -> Option<f64> {
    let floors: Option<Vec<f64>> = floors.iter().copied().collect();
    floors.filter(|floors| !floors.is_empty()).map(median)
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    let middle = values.len() / 2;
    if values.len() % 2 == 1 {
        values[middle]
    } else {
        (values[middle - 1] + values[middle]) / 2.0
    }
}

/// Per system (in first-seen order), the median of each figure over the rounds it ran in.
pub fn medians(rounds: &[Vec<Measured>]) -> Vec<Measured> {
    let mut systems: Vec<&str> = Vec::new();
    for measured in rounds.iter().flatten() {
        if !systems.contains(&measured.system.as_str()) {
            systems.push(&measured.system);
        }
    }
    systems
        .into_iter()
        .map(|system| {
            let runs: Vec<&Measured> = rounds
                .iter()
                .flatten()
                .filter(|measured| measured.system == system)
                .collect();
            let of =
                |figure: fn(&Measured) -> f64| median(runs.iter().map(|m| figure(m)).collect());
            Measured {
                system: system.to_owned(),
                drain_jobs_per_s: of(|m| m.drain_jobs_per_s),
                enqueue_jobs_per_s: of(|m| m.enqueue_jobs_per_s),
                latency_ms: [
                    of(|m| m.latency_ms[0]),
                    of(|m| m.latency_ms[1]),
                    of(|m| m.latency_ms[2]),
                ],
            }
        })
        .collect()
}

/// The medians' table, then our ratios to each peer.
pub fn print_summary(rounds: usize, medians: &[Measured], floor: Option<f64>) {
    println!("\nmedians of {rounds} round(s):");
    header();
    medians.iter().for_each(row);
    print_floor(medians, floor);
    let Some((ours, peers)) = medians.split_first() else {
        return;
    };
    for peer in peers {
        println!(
            "comptoir / {}: drain {:.2}x, enqueue {:.2}x, p50 latency {:.2}x lower, p99 {:.2}x lower",
            peer.system,
            ours.drain_jobs_per_s / peer.drain_jobs_per_s,
            ours.enqueue_jobs_per_s / peer.enqueue_jobs_per_s,
            peer.latency_ms[0] / ours.latency_ms[0],
            peer.latency_ms[2] / ours.latency_ms[2],
        );
    }
}
