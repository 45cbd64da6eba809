//! Reading a Prometheus text exposition, as a scraper would.

use std::collections::{BTreeMap, BTreeSet};

#[derive(Debug)]
struct Sample {
    name: String,
    labels: BTreeMap<String, String>,
    value: f64,
}

/// One scrape: its samples and the families it declares (`# TYPE` lines).
#[derive(Debug)]
pub struct Scrape {
    samples: Vec<Sample>,
    families: BTreeSet<String>,
}

/// GETs `url` (a `/metrics` endpoint) and parses the answer.
pub async fn scrape(url: &str) -> Scrape {
    let response = reqwest::get(url)
        .await
        .expect("the metrics endpoint answers");
    assert_eq!(response.status(), 200, "{url}");
    Scrape::parse(&response.text().await.expect("text"))
}

impl Scrape {
    pub fn parse(text: &str) -> Self {
        let families = text
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|declared| declared.split_whitespace().next())
            .map(str::to_owned)
            .collect();
        let samples = text
            .lines()
            .filter(|line| !line.starts_with('#') && !line.trim().is_empty())
            .filter_map(parse_sample)
            .collect();
        Self { samples, families }
    }

    /// The sum of the samples of `name` that carry every one of `labels`.
    pub fn sum(&self, name: &str, labels: &[(&str, &str)]) -> f64 {
        self.matching(name, labels).map(|sample| sample.value).sum()
    }

    /// Whether some sample of `name` carries every one of `labels`.
    pub fn has(&self, name: &str, labels: &[(&str, &str)]) -> bool {
        self.matching(name, labels).next().is_some()
    }

    /// Every sample name (`x_bucket`, `x_count`... for a histogram `x`).
    pub fn sample_names(&self) -> BTreeSet<String> {
        self.samples
            .iter()
            .map(|sample| sample.name.clone())
            .collect()
    }

    /// The declared metric families.
    pub fn families(&self) -> &BTreeSet<String> {
        &self.families
    }

    fn matching<'a>(
        &'a self,
        name: &'a str,
        labels: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = &'a Sample> + 'a {
        self.samples.iter().filter(move |sample| {
            sample.name == name
                && labels
                    .iter()
                    .all(|(key, value)| sample.labels.get(*key).map(String::as_str) == Some(value))
        })
    }
}

/// `name{key="value",...} value` (label values here never hold a quote or a comma).
fn parse_sample(line: &str) -> Option<Sample> {
    let (series, value) = line.rsplit_once(' ')?;
    let (name, labels) = match series.split_once('{') {
        Some((name, rest)) => (name, rest.strip_suffix('}')?),
        None => (series, ""),
    };
    let labels = labels
        .split(',')
        .filter(|pair| !pair.is_empty())
        .filter_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            Some((key.to_owned(), value.trim_matches('"').to_owned()))
        })
        .collect();
    Some(Sample {
        name: name.to_owned(),
        labels,
        value: value.parse().ok()?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_summed_by_label_subset() {
        let scrape = Scrape::parse(
            "# TYPE jobs_total counter\n\
             jobs_total{queue=\"email\",kind=\"a\"} 2\n\
             jobs_total{queue=\"email\",kind=\"b\"} 3\n\
             jobs_total{queue=\"sms\",kind=\"c\"} 5\n\
             up 1\n",
        );
        assert_eq!(scrape.sum("jobs_total", &[("queue", "email")]), 5.0);
        assert_eq!(scrape.sum("jobs_total", &[]), 10.0);
        assert!(scrape.has("up", &[]));
        assert!(!scrape.has("jobs_total", &[("queue", "images")]));
        assert_eq!(
            scrape.families().iter().collect::<Vec<_>>(),
            vec!["jobs_total"]
        );
    }
}
