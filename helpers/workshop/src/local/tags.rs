//! The local backend's tags: what SageMaker keeps with each resource, kept here as one file per tagged resource,
//! `{root}/tags/{kind}/{name}.json` (written atomically), with the instances it was asked for and when it was
//! made, so that a sweep finds what a session made after a kernel restart, as it does on SageMaker.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use ipinsights_sagemaker_facts::utc::unix_millis;
use ipinsights_sagemaker_facts::validate_resource_name;
use serde::{Deserialize, Serialize};

use crate::backend::ResourceKind;
use crate::error::{Result, WorkshopError};

/// One tagged resource's file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TagRecord {
    /// The resource's name.
    pub name: String,
    /// Its tags, as (key, value).
    pub tags: Vec<(String, String)>,
    /// When it was created, in Unix seconds.
    pub created: i64,
    /// The instance type it was asked for.
    pub instance_type: Option<String>,
    /// How many instances.
    pub instance_count: Option<u32>,
}

impl TagRecord {
    /// The value of tag `key`.
    pub fn value(&self, key: &str) -> Option<&str> {
        self.tags.iter().find(|(k, _)| k == key).map(|(_, v)| v.as_str())
    }
}

/// The tag files under one root folder.
#[derive(Debug, Clone)]
pub struct Tags {
    dir: PathBuf,
}

/// The folder name of a kind.
fn folder(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::Endpoint => "endpoints",
        ResourceKind::EndpointConfig => "endpoint-configs",
        ResourceKind::Model => "models",
        ResourceKind::TrainingJob => "training-jobs",
        ResourceKind::TransformJob => "transform-jobs",
    }
}

impl Tags {
    /// The tags of the local backend rooted at `root`.
    pub fn new(root: &Path) -> Self {
        Tags { dir: root.join("tags") }
    }

    /// The file of one resource; names are SageMaker names, so they never leave the folder.
    fn file(&self, kind: ResourceKind, name: &str) -> Result<PathBuf> {
        validate_resource_name(kind.as_str(), name)?;
        Ok(self.dir.join(folder(kind)).join(format!("{name}.json")))
    }

    /// Records the tags of a resource made now (nothing when it has none).
    pub fn put(
        &self,
        kind: ResourceKind,
        name: &str,
        tags: &[(String, String)],
        instances: Option<(&str, u32)>,
    ) -> Result<()> {
        if tags.is_empty() {
            return Ok(());
        }
        let path = self.file(kind, name)?;
        let record = TagRecord {
            name: name.into(),
            tags: tags.to_vec(),
            created: unix_millis(SystemTime::now()).0,
            instance_type: instances.map(|(t, _)| t.to_string()),
            instance_count: instances.map(|(_, n)| n),
        };
        let json = serde_json::to_string(&record).map_err(|e| WorkshopError::context("tag record", e))?;
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| WorkshopError::io("create", parent, e))?;
        }
        ipinsights_engine::atomic::write_atomically(&path, |w| std::io::Write::write_all(w, json.as_bytes()))
            .map_err(|e| WorkshopError::io("write", &path, e))
    }

    /// The tags of one resource, if it has any.
    pub fn get(&self, kind: ResourceKind, name: &str) -> Result<Option<TagRecord>> {
        let path = self.file(kind, name)?;
        match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text)
                .map(Some)
                .map_err(|e| WorkshopError::context(format!("tag record {}", path.display()), e)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(WorkshopError::io("read", &path, e)),
        }
    }

    /// Forgets the tags of a resource that is gone.
    pub fn remove(&self, kind: ResourceKind, name: &str) -> Result<()> {
        let path = self.file(kind, name)?;
        match std::fs::remove_file(&path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(WorkshopError::io("remove", &path, e)),
            _ => Ok(()),
        }
    }

    /// Every tagged resource of `kind`, sorted by name.
    pub fn list(&self, kind: ResourceKind) -> Result<Vec<TagRecord>> {
        let dir = self.dir.join(folder(kind));
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(WorkshopError::io("list", &dir, e)),
        };
        let mut records = Vec::new();
        for entry in entries {
            let path = entry.map_err(|e| WorkshopError::io("list", &dir, e))?.path();
            let Some(name) = path.file_name().and_then(|n| n.to_str()).and_then(|n| n.strip_suffix(".json")) else {
                continue; // a temporary file of a write in progress
            };
            if validate_resource_name(kind.as_str(), name).is_err() {
                continue;
            }
            if let Some(record) = self.get(kind, name)? {
                records.push(record);
            }
        }
        records.sort_by(|a, b| a.name.cmp(&b.name));
        Ok(records)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_are_kept_listed_and_forgotten() {
        let root = tempfile::tempdir().unwrap();
        let tags = Tags::new(root.path());
        let tag = vec![("ipinsights-workshop".to_string(), "session-1".to_string())];
        tags.put(ResourceKind::Endpoint, "ipinsights-b", &tag, Some(("ml.m5.xlarge", 1))).unwrap();
        tags.put(ResourceKind::Endpoint, "ipinsights-a", &tag, None).unwrap();
        tags.put(ResourceKind::Model, "untagged", &[], None).unwrap();
        let listed = tags.list(ResourceKind::Endpoint).unwrap();
        assert_eq!(listed.iter().map(|r| r.name.as_str()).collect::<Vec<_>>(), ["ipinsights-a", "ipinsights-b"]);
        assert_eq!(listed[1].value("ipinsights-workshop"), Some("session-1"));
        assert_eq!(listed[1].instance_type.as_deref(), Some("ml.m5.xlarge"));
        assert!(tags.list(ResourceKind::Model).unwrap().is_empty(), "no tags, no file");
        tags.remove(ResourceKind::Endpoint, "ipinsights-a").unwrap();
        tags.remove(ResourceKind::Endpoint, "ipinsights-a").unwrap();
        assert_eq!(tags.list(ResourceKind::Endpoint).unwrap().len(), 1);
        assert!(tags.get(ResourceKind::Endpoint, "../../etc/passwd").is_err());
    }
}
