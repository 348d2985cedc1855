//! Simulated login events per user, following the tutorial's generative model.

use super::AsnTable;
use rand::Rng;
use rand_distr::{Beta, Distribution, Normal, Pareto};
use std::net::Ipv4Addr;

const DAYS: u32 = 10;
/// Seconds of the training period (the first seven of ten days).
pub(crate) const TRAIN_SECONDS: u32 = 7 * 86_400;
const MAX_EVENTS: f64 = 10_000.0;
const HOME_WORK_WINDOW: i64 = 50_000;
/// σ of a normal event's row offset around home or work, in rows.
pub(super) const LOCALITY_SIGMA: f64 = 10.0;

/// One login: who, from where, when (seconds since the start of the ten days), and whether while travelling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Event {
    /// User id.
    pub user: u32,
    /// Source address.
    pub ip: Ipv4Addr,
    /// Seconds since the start.
    pub second: u32,
    /// Drawn from a uniformly random range (travel)?
    pub travel: bool,
}

/// A simulated user's hidden parameters: what the generator draws before the user's events.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct UserProfile {
    /// Home range (a row of the ASN table).
    pub home: usize,
    /// Work range, within ±50,000 rows of home.
    pub work: usize,
    /// Events over the ten days (`min(10,000, ⌊50 · Pareto(1)⌋)`).
    pub events: usize,
    /// Probability that an event is made while travelling (`Beta(1, 30)`).
    pub travel: f64,
    /// Probability that an event not made while travelling is made from home rather than work (`Beta(3, 5)`).
    pub home_share: f64,
}

/// Simulates every user's events (each user has its own seeded stream, so users are independent of each other).
pub fn generate_events(users: u32, seed: u64, table: &AsnTable) -> Vec<Event> {
    simulate(users, seed, table).1
}

/// Simulates every user: their hidden parameters and their events.
pub fn simulate(users: u32, seed: u64, table: &AsnTable) -> (Vec<UserProfile>, Vec<Event>) {
    let n = table.len() as i64;
    let p_travel = Beta::new(1.0, 30.0).expect("valid Beta");
    let p_home = Beta::new(3.0, 5.0).expect("valid Beta");
    let activity = Pareto::new(1.0, 1.0).expect("valid Pareto");
    let locality = Normal::new(0.0, LOCALITY_SIGMA).expect("valid Normal");
    let mut profiles = Vec::with_capacity(users as usize);
    let mut out = Vec::new();
    for user in 0..users {
        let mut rng = rand_pcg::Pcg64Mcg::new(u128::from(seed) << 64 | u128::from(user) << 1 | 1);
        let home = rng.gen_range(0..n);
        let mut work = home;
        while work == home {
            work = (rng.gen_range(home - HOME_WORK_WINDOW..home + HOME_WORK_WINDOW)).rem_euclid(n);
        }
        let draw: f64 = activity.sample(&mut rng);
        let events = (50.0 * draw).min(MAX_EVENTS) as usize;
        let travel_p: f64 = p_travel.sample(&mut rng);
        let home_p: f64 = p_home.sample(&mut rng);
        profiles.push(UserProfile {
            home: home as usize,
            work: work as usize,
            events,
            travel: travel_p,
            home_share: home_p,
        });
        for _ in 0..events {
            let travel = rng.gen::<f64>() < travel_p;
            let row = if travel {
                rng.gen_range(0..n)
            } else {
                let base = if rng.gen::<f64>() < home_p { home } else { work };
                // Python's int() truncates towards zero, and % is non-negative.
                ((base as f64 + locality.sample(&mut rng)).trunc() as i64).rem_euclid(n)
            };
            let ip = table.draw_ip(row as usize, &mut rng);
            let second = rng.gen_range(0..DAYS * 86_400);
            out.push(Event { user, ip, second, travel });
        }
    }
    (profiles, out)
}
