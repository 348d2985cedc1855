//! What a session made and what is left running: the record behind `session.cleanup()`, the table
//! `session.leftovers()` shows, and the approximate hourly prices it shows them with.

use std::fmt;
use std::time::SystemTime;

use crate::backend::{Leftover, ResourceKind};
use crate::table::Table;
use ipinsights_sagemaker_facts::utc::unix_millis;
use ipinsights_sagemaker_facts::ResourceStatus;

/// A resource a session made, as it records it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Resource {
    /// What it is (endpoints sort first: they are deleted first).
    pub kind: ResourceKind,
    /// Its name.
    pub name: String,
}

/// Approximate SageMaker on-demand prices in USD per instance-hour, us-east-1, for the instance types the
/// workshop uses (hosting and training bill about the same for these types; other regions differ by up to about a
/// third). For a sense of what a forgotten resource costs, not a bill: see the SageMaker pricing page.
pub const HOURLY_PRICES_USD: [(&str, f64); 10] = [
    ("ml.t2.medium", 0.056),
    ("ml.m4.xlarge", 0.24),
    ("ml.m5.large", 0.115),
    ("ml.m5.xlarge", 0.23),
    ("ml.m5.2xlarge", 0.461),
    ("ml.m5.4xlarge", 0.922),
    ("ml.c5.xlarge", 0.204),
    ("ml.c5.2xlarge", 0.408),
    ("ml.p3.2xlarge", 3.825),
    ("ml.g4dn.xlarge", 0.736),
];

/// The approximate hourly price of one instance of `instance_type` ([`HOURLY_PRICES_USD`]), if listed.
pub fn hourly_price(instance_type: &str) -> Option<f64> {
    HOURLY_PRICES_USD.iter().find(|(t, _)| *t == instance_type).map(|&(_, p)| p)
}

/// What a backend's instances cost ([`crate::Backend::instance_pricing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InstancePricing {
    /// Nothing: everything runs on this machine.
    Free,
    /// SageMaker's on-demand prices per instance-hour ([`HOURLY_PRICES_USD`]).
    SageMakerOnDemand,
}

impl InstancePricing {
    /// What one instance of `instance_type` costs per hour in USD (`None` for a type not in the price list).
    pub fn hourly_price(self, instance_type: &str) -> Option<f64> {
        match self {
            InstancePricing::Free => Some(0.0),
            InstancePricing::SageMakerOnDemand => hourly_price(instance_type),
        }
    }
}

/// What a sweep found, as a table (name, age, instances, approximate hourly cost).
#[derive(Debug, Clone)]
pub struct Leftovers {
    /// The resources, endpoints first.
    pub items: Vec<Leftover>,
    backend: &'static str,
    pricing: InstancePricing,
    now: i64,
}

impl Leftovers {
    /// The resources found at `now` on the backend named `backend`, whose instances cost as `pricing` says.
    pub fn new(items: Vec<Leftover>, backend: &'static str, pricing: InstancePricing, now: SystemTime) -> Self {
        Leftovers { items, backend, pricing, now: unix_millis(now).0 }
    }

    /// Whether nothing was found.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// How many resources were found.
    pub fn len(&self) -> usize {
        self.items.len()
    }

    /// What one resource costs per hour, in USD: instances × the listed price on SageMaker (`None` for a type not
    /// listed), nothing on the local backend or for what runs no instance (models, endpoint configs, stopped
    /// endpoints).
    pub fn hourly_cost(&self, item: &Leftover) -> Option<f64> {
        let running = item.status.is_none_or(ResourceStatus::runs_instances);
        match &item.instance_type {
            Some(t) if running => self.pricing.hourly_price(t).map(|p| p * f64::from(item.instance_count.unwrap_or(1))),
            _ => Some(0.0),
        }
    }

    /// The total hourly cost of what was found (types not in the price list count 0).
    pub fn total_hourly_cost(&self) -> f64 {
        self.items.iter().filter_map(|i| self.hourly_cost(i)).sum()
    }

    /// The table: kind, name, status, age, instances, approximate hourly cost, the session that made it.
    pub fn table(&self) -> Table {
        let mut table = Table::new(["kind", "name", "status", "age", "instances", "USD/hour (approx.)", "made by"]);
        for item in &self.items {
            let instances = match (&item.instance_type, item.instance_count) {
                (Some(t), Some(n)) => format!("{n} × {t}"),
                (Some(t), None) => t.clone(),
                _ => "-".into(),
            };
            let cost = match self.hourly_cost(item) {
                Some(c) => format!("{c:.3}"),
                None => "? (type not in the price list)".into(),
            };
            table.push([
                item.kind.to_string(),
                item.name.clone(),
                item.status.map_or_else(|| "-".into(), |s| s.to_string()),
                item.created.map_or_else(|| "?".into(), |c| age(self.now - c)),
                instances,
                cost,
                item.session.clone(),
            ]);
        }
        table
    }

    /// Shows the table in a notebook cell.
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/html\n{}\n{}\nEVCXR_END_CONTENT", self.table().to_html(), self.summary());
    }

    /// One line: how many, and what they cost per hour.
    fn summary(&self) -> String {
        if self.is_empty() {
            return format!("Nothing tagged ipinsights-workshop is left on the {} backend.", self.backend);
        }
        format!(
            "{} workshop resource(s) left on the {} backend, about {:.2} USD per hour (us-east-1 on-demand prices); \
             delete them with session.delete_leftovers()",
            self.len(),
            self.backend,
            self.total_hourly_cost()
        )
    }
}

impl fmt::Display for Leftovers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_empty() {
            write!(f, "{}", self.table())?;
        }
        write!(f, "{}", self.summary())
    }
}

/// An age in seconds, e.g. `2 h 05 min`, `7 min`, `40 s`.
fn age(seconds: i64) -> String {
    let s = seconds.max(0);
    match s {
        0..=59 => format!("{s} s"),
        60..=3599 => format!("{} min", s / 60),
        _ => format!("{} h {:02} min", s / 3600, (s % 3600) / 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ipinsights_sagemaker_facts::EndpointStatus;

    fn endpoint(status: EndpointStatus, instance_type: &str, count: u32) -> Leftover {
        Leftover {
            kind: ResourceKind::Endpoint,
            name: "ipinsights-2026-12-06-16-00-00-000".into(),
            session: "session-1".into(),
            created: Some(1_000),
            status: Some(ResourceStatus::Endpoint(status)),
            instance_type: Some(instance_type.into()),
            instance_count: Some(count),
        }
    }

    #[test]
    fn costs_ages_and_the_table() {
        let now = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_000 + 2 * 3600 + 5 * 60);
        let model = Leftover {
            kind: ResourceKind::Model,
            status: None,
            instance_type: None,
            instance_count: None,
            ..endpoint(EndpointStatus::InService, "", 0)
        };
        let items = vec![
            endpoint(EndpointStatus::InService, "ml.m5.xlarge", 2),
            endpoint(EndpointStatus::InService, "ml.x9.huge", 1),
            model,
        ];
        let leftovers = Leftovers::new(items, "aws", InstancePricing::SageMakerOnDemand, now);
        assert_eq!(leftovers.hourly_cost(&leftovers.items[0]), Some(0.46));
        assert_eq!(leftovers.hourly_cost(&leftovers.items[1]), None, "not in the price list");
        assert_eq!(leftovers.hourly_cost(&leftovers.items[2]), Some(0.0), "a model runs nothing");
        let shown = leftovers.to_string();
        let parts =
            ["2 × ml.m5.xlarge", "2 h 05 min", "0.460", "type not in the price list", "about 0.46 USD per hour"];
        for part in parts {
            assert!(shown.contains(part), "{part:?} not in {shown}");
        }
        let stopped = Leftovers::new(
            vec![endpoint(EndpointStatus::OutOfService, "ml.m5.xlarge", 1)],
            "aws",
            InstancePricing::SageMakerOnDemand,
            now,
        );
        assert_eq!(stopped.total_hourly_cost(), 0.0);
        let local = Leftovers::new(
            vec![endpoint(EndpointStatus::InService, "ml.m5.xlarge", 1)],
            "local",
            InstancePricing::Free,
            now,
        );
        assert_eq!(local.total_hourly_cost(), 0.0, "nothing bills on this machine");
        assert_eq!((age(40), age(420)), ("40 s".to_string(), "7 min".to_string()));
        assert!(Leftovers::new(vec![], "local", InstancePricing::Free, now).to_string().starts_with("Nothing tagged"));
    }
}
