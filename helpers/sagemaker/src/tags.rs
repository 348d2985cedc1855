//! The workshop's resource tag: every resource a notebook or the detector creates carries it, so a session can
//! delete what it made and a sweep after a kernel restart can find what is still running.

/// The tag key on every resource the workshop creates (training jobs, models, endpoint configs, endpoints,
/// transform jobs, the detector's resources); its value names the session that created it.
pub const WORKSHOP_TAG_KEY: &str = "ipinsights-workshop";
