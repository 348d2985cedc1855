//! The session: the backend, chosen once, and the calls of the seed notebook's setup (bucket check, role,
//! uploads).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{SystemTime, UNIX_EPOCH};

use ipinsights_engine::tuples::{write_tuples, Tuple};

use ipinsights_sagemaker_facts::WORKSHOP_TAG_KEY;
use ipinsights_sagemaker_facts::{check_bucket_name, name_from_base, InstanceUse, S3Uri, ServerSideEncryption};

use crate::backend::{AccountAccess, Backend, Removal, ResourceKind};
use crate::cleanup::{Leftovers, Resource};
use crate::error::{Result, WorkshopError};
use crate::local::LocalBackend;

/// The seed notebook's message for a missing or invalid bucket name.
pub const INVALID_BUCKET: &str =
    "Hey! You either forgot to specify your S3 bucket or you gave your bucket an invalid name!";

/// The message for `Session::aws()` in a build without the AWS backend: the exact line to change.
pub const NO_AWS_FEATURE: &str = "this build has no AWS backend: in the first code cell, change the `:dep` line to \
     `:dep ipinsights-workshop = { path = \"../helpers/workshop\", features = [\"aws\"] }`, then restart the \
     kernel and run the cells again (see README, \"Switching to AWS\")";

/// What to do when a call needs the AWS backend and the session is local.
pub const USE_AWS_SESSION: &str = "in the setup cell, comment out `let session = Session::local()?;` and \
     uncomment `let session = Session::aws()?;` (see README, \"Switching to AWS\")";

/// How a removal is reported, or `None` when there was nothing to do.
fn done(removal: Removal) -> Option<&'static str> {
    match removal {
        Removal::Deleted => Some("Deleted"),
        Removal::Stopped => Some("Stopped"),
        Removal::AlreadyGone => None,
    }
}

/// Prints a fragment of what a backend reports, at once (cells show output as it comes).
pub(crate) fn print_fragment(text: &str) {
    use std::io::Write;
    print!("{text}");
    let _ = std::io::stdout().flush();
}

/// A session with one backend (like the SDK's `Session` / `LocalSession`); cheap to clone, plain data, safe to
/// keep across cells. Every resource it creates carries the tag `ipinsights-workshop` = [`Session::id`], and the
/// session records it (clones share the record), so [`Session::cleanup`] deletes what it made; after a kernel
/// restart, [`Session::leftovers`] and [`Session::delete_leftovers`] find what any session left, by that tag.
#[derive(Debug, Clone)]
pub struct Session {
    backend: Arc<dyn Backend>,
    encryption: Option<ServerSideEncryption>,
    id: String,
    made: Arc<Mutex<Vec<Resource>>>,
}

impl Session {
    /// The backend named by `IPINSIGHTS_BACKEND`: `local` (the default) or `aws` (for scripts and tests; the
    /// notebooks call `Session::local()` or `Session::aws()` in their setup cell).
    pub fn new() -> Result<Session> {
        match std::env::var("IPINSIGHTS_BACKEND").unwrap_or_default().trim().to_ascii_lowercase().as_str() {
            "" | "local" => Session::local(),
            "aws" => Session::aws(),
            other => Err(WorkshopError::validation(format!(
                "IPINSIGHTS_BACKEND={other:?} is not a backend: use \"local\" or \"aws\""
            ))),
        }
    }

    /// The local backend rooted at `IPINSIGHTS_LOCAL_ROOT` (default `out/local-aws` in the repository); checks
    /// now that the `ipinsights` binary it runs is built and up to date, so the setup cell says what to do.
    pub fn local() -> Result<Session> {
        crate::local::binary::locate()?;
        Ok(Session::local_at(&LocalBackend::default_root()))
    }

    /// The local backend rooted at `root` (the binary is checked when a job or endpoint starts).
    pub fn local_at(root: &Path) -> Session {
        Session::with_backend(LocalBackend::new(root))
    }

    /// The AWS backend as the environment configures it (see `AwsBackend::from_env`: region and credentials from
    /// the standard AWS chains); prints the region and the account it reaches (STS GetCallerIdentity), so the setup
    /// cell shows where jobs will run. Without the `aws` feature, an error saying how to enable it.
    pub fn aws() -> Result<Session> {
        #[cfg(feature = "aws")]
        {
            let backend = crate::aws_backend::AwsBackend::from_env()?;
            println!("AWS backend: {}", backend.identity()?);
            Ok(Session::with_backend(backend))
        }
        #[cfg(not(feature = "aws"))]
        {
            Err(WorkshopError::unsupported(NO_AWS_FEATURE))
        }
    }

    /// A session on any backend.
    pub fn with_backend(backend: impl Backend + 'static) -> Session {
        Session {
            backend: Arc::new(backend),
            encryption: None,
            id: format!("{}-{}", name_from_base("session", SystemTime::now()), std::process::id()),
            made: Arc::default(),
        }
    }

    /// This session, asking S3 to encrypt every object it uploads (`upload_data`'s `extra_args=
    /// {"ServerSideEncryption": …}` in the SDK): `ServerSideEncryption::Aes256`, or `ServerSideEncryption::kms(key)`
    /// for a bucket whose policy requires SSE-KMS. The local backend has no keys and ignores it.
    pub fn server_side_encryption(mut self, encryption: ServerSideEncryption) -> Session {
        self.encryption = Some(encryption);
        self
    }

    /// The backend, for the facade's types.
    pub(crate) fn backend(&self) -> &dyn Backend {
        self.backend.as_ref()
    }

    /// This session's id: the value of the `ipinsights-workshop` tag on everything it creates.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// `tags` with the workshop's tag (key `ipinsights-workshop`, value this session's id) in place of any other
    /// value of that key.
    pub(crate) fn workshop_tags(&self, tags: &[(String, String)]) -> Vec<(String, String)> {
        let mut tagged: Vec<(String, String)> = tags.iter().filter(|(k, _)| k != WORKSHOP_TAG_KEY).cloned().collect();
        tagged.push((WORKSHOP_TAG_KEY.to_string(), self.id.clone()));
        tagged
    }

    /// Records a resource this session is about to create (before the call, so one whose wait was interrupted
    /// is recorded too).
    pub(crate) fn record(&self, kind: ResourceKind, name: &str) {
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner());
        if !made.iter().any(|r| r.kind == kind && r.name == name) {
            made.push(Resource { kind, name: name.to_string() });
        }
    }

    /// What this session made and has not deleted yet, endpoints first.
    pub fn resources(&self) -> Vec<Resource> {
        let mut made = self.made.lock().unwrap_or_else(|e| e.into_inner()).clone();
        made.sort();
        made
    }

    /// Deletes everything this session made (endpoints with their endpoint configs and models; running training
    /// and transform jobs are stopped) and prints what it deleted; safe to run twice. What could not be deleted
    /// stays recorded, and the first such failure is the error.
    pub fn cleanup(&self) -> Result<()> {
        let mut failed = Vec::new();
        let mut acted = 0;
        for resource in self.resources() {
            match self.backend.remove(resource.kind, &resource.name) {
                Ok(removal) => {
                    if let Some(done) = done(removal) {
                        println!("{done} {} {}", resource.kind, resource.name);
                        acted += 1;
                    }
                    self.made.lock().unwrap_or_else(|e| e.into_inner()).retain(|r| r != &resource);
                }
                Err(e) => failed.push(format!("{} {}: {e}", resource.kind, resource.name)),
            }
        }
        if acted == 0 && failed.is_empty() {
            println!("Nothing to delete: this session has nothing left on the {} backend.", self.backend_name());
        }
        match failed.len() {
            0 => Ok(()),
            n => Err(WorkshopError::new(format!(
                "cleanup could not delete {n} resource(s), still recorded (run cleanup again): {}",
                failed.join("; ")
            ))),
        }
    }

    /// Everything any workshop session left (found by the `ipinsights-workshop` tag): endpoints, endpoint configs
    /// and models, and jobs still running, each with its age, instances and approximate hourly cost; for after a
    /// kernel restart, when the new session has recorded nothing. Displays as a table.
    pub fn leftovers(&self) -> Result<Leftovers> {
        let mut found = self.backend.leftovers()?;
        found.sort_by(|a, b| (a.kind, &a.name).cmp(&(b.kind, &b.name)));
        Ok(Leftovers::new(found, self.backend.name(), self.backend.instance_pricing(), SystemTime::now()))
    }

    /// Deletes (or stops) everything [`Session::leftovers`] lists, endpoints first, printing each; safe to run
    /// twice.
    pub fn delete_leftovers(&self) -> Result<()> {
        let leftovers = self.leftovers()?;
        if leftovers.is_empty() {
            println!("No leftovers: nothing tagged {WORKSHOP_TAG_KEY} is left on the {} backend.", self.backend_name());
        }
        for item in &leftovers.items {
            let removal = self.backend.remove(item.kind, &item.name)?;
            if let Some(done) = done(removal) {
                println!("{done} {} {} (made by {})", item.kind, item.name, item.session);
            }
            self.made.lock().unwrap_or_else(|e| e.into_inner()).retain(|r| r.kind != item.kind || r.name != item.name);
        }
        Ok(())
    }

    /// What reaching the AWS account itself takes, on a backend that can (the AWS backend); `None` otherwise.
    pub(crate) fn account_access(&self) -> Option<AccountAccess<'_>> {
        self.backend.account_access()
    }

    /// The backend's name in messages: `local` or `aws`.
    pub fn backend_name(&self) -> &'static str {
        self.backend.name()
    }

    /// The region (`boto_region_name`; the local backend reports `us-east-1`, for image URIs).
    pub fn region(&self) -> &str {
        self.backend.region()
    }

    /// The execution role (`get_execution_role()`). AWS: `SAGEMAKER_ROLE_ARN`, `IPINSIGHTS_ROLE_ARN`, else the
    /// role the notebook is signed in with (the rule of `ipinsights_aws_calls::execution_role`). Local: a placeholder,
    /// since local jobs assume no role.
    pub fn execution_role(&self) -> Result<String> {
        self.backend.execution_role()
    }

    /// Checks, before anything is uploaded or created, that `instance_type` can be used here for each of `uses`
    /// (on AWS: its SageMaker quota in this region is above 0; a quota of 0 stops here, naming the type, the use
    /// and the region). `fit`, `deploy` and `transformer` check again; the local backend accepts any type.
    pub fn check_instance_type(&self, instance_type: &str, uses: &[InstanceUse]) -> Result<()> {
        for &usage in uses {
            self.backend.check_instance_type(instance_type, usage, &mut print_fragment)?;
        }
        println!("{instance_type} can be used here for {}", describe_uses(uses));
        Ok(())
    }

    /// The seed's bucket check: prints where training input and output will be stored, or what is wrong.
    pub fn check_bucket(&self, bucket: &str, prefix: &str) -> Result<()> {
        let checked = check_bucket_name(bucket)
            .map_err(|_| WorkshopError::validation(INVALID_BUCKET))
            .and_then(|()| self.backend.check_bucket(bucket, &mut print_fragment));
        match &checked {
            Ok(()) => println!("Training input/output will be stored in: s3://{bucket}/{prefix}"),
            Err(e) => println!("{e}"),
        }
        checked
    }

    /// Uploads a local file to `s3://bucket/key` and returns that URI (`upload_data`), encrypted as the session
    /// asks. On SageMaker (IPv4 only) the rows of a `.csv` file whose address is IPv6 are left out of the upload,
    /// and one line says how many and why.
    pub fn upload_data(&self, file: &Path, bucket: &str, key: &str) -> Result<String> {
        let uri = S3Uri::parse(&format!("s3://{bucket}/{key}"))?;
        self.backend.upload(file, &uri, self.encryption.as_ref(), &mut print_fragment)?;
        Ok(uri.to_string())
    }

    /// Writes `tuples` as headerless `entity,ip` CSV and uploads it to `s3://bucket/key` (`upload_data` without a
    /// file to name: the CSV goes through a temporary file, removed after the upload); returns that URI.
    pub fn upload_tuples(&self, tuples: &[Tuple], bucket: &str, key: &str) -> Result<String> {
        let stamp = SystemTime::now().duration_since(UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or_default();
        let file = std::env::temp_dir().join(format!("ipinsights-upload-{}-{stamp}.csv", std::process::id()));
        write_tuples(&file, tuples)?;
        let uploaded = self.upload_data(&file, bucket, key);
        let _ = std::fs::remove_file(&file);
        uploaded
    }
}

/// "training jobs and endpoints": the uses a check covered, as a sentence.
fn describe_uses(uses: &[InstanceUse]) -> String {
    let names: Vec<&str> = uses.iter().map(|usage| usage.describe()).collect();
    match names.as_slice() {
        [] => "nothing (no use asked)".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_uses_checked_read_as_a_sentence() {
        use super::{describe_uses, InstanceUse::*};
        assert_eq!(describe_uses(&[Training]), "training jobs");
        assert_eq!(describe_uses(&[Training, Endpoint]), "training jobs and endpoints");
        assert_eq!(
            describe_uses(&[Training, Endpoint, Transform]),
            "training jobs, endpoints and batch transform jobs"
        );
    }

    use super::*;

    #[test]
    fn buckets_are_checked_by_s3_rules_before_the_backend() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::local_at(root.path());
        assert_eq!(session.backend_name(), "local");
        session.check_bucket("workshop-bucket", "ipinsights").unwrap();
        assert!(root.path().join("workshop-bucket").is_dir());
        for bad in ["Bad_Name", "<<your bucket name>>", "ab"] {
            assert_eq!(session.check_bucket(bad, "p").unwrap_err().to_string(), INVALID_BUCKET);
            assert!(!root.path().join(bad).exists(), "{bad}: nothing created");
        }
    }

    #[test]
    fn uploads_return_their_uri() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::local_at(root.path());
        let file = root.path().join("t.csv");
        std::fs::write(&file, "u,1.1.1.1\n").unwrap();
        let uri = session.upload_data(&file, "workshop-bucket", "ipinsights/train/cloudtrail_tuples.csv").unwrap();
        assert_eq!(uri, "s3://workshop-bucket/ipinsights/train/cloudtrail_tuples.csv");
        let stored = root.path().join("workshop-bucket/ipinsights/train/cloudtrail_tuples.csv");
        assert_eq!(std::fs::read_to_string(stored).unwrap(), "u,1.1.1.1\n");
        assert!(session.upload_data(&file, "workshop-bucket", "../../etc/passwd").is_err());
        assert!(session.upload_data(&file, "Bad_Bucket", "k").is_err());
    }

    #[test]
    fn tuples_upload_as_csv_and_leave_no_temporary_file() {
        let root = tempfile::tempdir().unwrap();
        let session = Session::local_at(root.path());
        let leftovers = || {
            let dir = std::env::temp_dir();
            let prefix = format!("ipinsights-upload-{}-", std::process::id());
            std::fs::read_dir(dir)
                .unwrap()
                .filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with(&prefix))
                .count()
        };
        let tuples = [Tuple::new("alice", "1.2.3.4".parse().unwrap()), Tuple::new("a,b", "::1".parse().unwrap())];
        let uri = session.upload_tuples(&tuples, "workshop-bucket", "p/train/t.csv").unwrap();
        assert_eq!(uri, "s3://workshop-bucket/p/train/t.csv");
        let stored = std::fs::read_to_string(root.path().join("workshop-bucket/p/train/t.csv")).unwrap();
        assert_eq!(stored, "alice,1.2.3.4\n\"a,b\",::1\n");
        assert!(session.upload_tuples(&tuples, "Bad_Bucket", "k.csv").is_err());
        assert_eq!(leftovers(), 0, "the temporary CSV is removed, after a failed upload too");
    }

    #[cfg(not(feature = "aws"))]
    #[test]
    fn without_the_aws_feature_the_aws_backend_is_one_clear_error() {
        assert_eq!(Session::aws().unwrap_err().to_string(), NO_AWS_FEATURE);
    }
}
