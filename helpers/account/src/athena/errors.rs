//! A failed query explained in one line naming the fix: Athena's own reason (`StateChangeReason`, or the error of
//! a refused call) is kept after it, whole.

/// One line saying what to do about a query that failed with `reason`; `database`, `table` and `output` name what
/// the read used.
pub fn explain(reason: &str, database: &str, table: &str, output: &str) -> String {
    let lower = reason.to_ascii_lowercase();
    let fix = if lower.contains("schema_not_found")
        || lower.contains("database does not exist")
        || (lower.contains("database") && lower.contains("not found"))
    {
        format!(
            "the Glue database {database} does not exist: create it (CREATE DATABASE {database} in Athena's query \
             editor) or read into an existing one with .database(\"default\")"
        )
    } else if lower.contains("unable to verify/create output bucket")
        || lower.contains("output location")
        || lower.contains("no output location")
    {
        format!(
            "Athena cannot write its results to {output}: pass .output_location(\"s3://BUCKET/PREFIX/\") with a \
             bucket of this region that you may s3:PutObject to, or set the workgroup's query result location"
        )
    } else if lower.contains("access denied")
        || lower.contains("accessdenied")
        || lower.contains("permission denied")
        || lower.contains("not authorized")
        || lower.contains("insufficient lake formation permission")
    {
        format!(
            "permission denied: the caller needs athena:StartQueryExecution, athena:GetQueryExecution, \
             athena:GetDatabase and athena:GetTableMetadata, \
             glue:GetDatabase, glue:GetTable and glue:CreateTable on {database}.{table}, s3:ListBucket and \
             s3:GetObject on the trail bucket (kms:Decrypt for SSE-KMS trails), and s3:GetObject and s3:PutObject on \
             {output}"
        )
    } else if lower.contains("hive_cursor_error")
        || lower.contains("hive_bad_data")
        || lower.contains("hive_partition")
        || lower.contains("partition")
        || lower.contains("projection")
    {
        format!(
            "bad partition: the table {database}.{table}'s partition folders hold something that is not a \
             CloudTrail log, or its projection does not match the bucket: move other files out of the trail's \
             AWSLogs/ folders, or drop the table (DROP TABLE {database}.{table}) to have it made again"
        )
    } else if lower.contains("table") && (lower.contains("not found") || lower.contains("does not exist")) {
        format!("the table {database}.{table} is gone: run the read again to create it")
    } else {
        "the query failed in Athena".to_string()
    };
    format!("{fix} (Athena: {})", reason.trim())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn why(reason: &str) -> String {
        explain(reason, "trails", "ct", "s3://results/athena/")
    }

    #[test]
    fn each_failure_names_its_fix() {
        let db = why("SCHEMA_NOT_FOUND: line 1:15: Schema 'trails' does not exist");
        assert!(db.starts_with("the Glue database trails does not exist: create it"), "{db}");
        assert!(db.ends_with("(Athena: SCHEMA_NOT_FOUND: line 1:15: Schema 'trails' does not exist)"), "{db}");
        let denied = why("Permission denied on S3 path: s3://org-trail/AWSLogs/o-x/1/CloudTrail/us-east-1/2024/03/04");
        assert!(denied.starts_with("permission denied: the caller needs athena:StartQueryExecution"), "{denied}");
        let bad =
            why("HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: A JSONObject text must begin");
        assert!(bad.starts_with("bad partition:") && bad.contains("DROP TABLE trails.ct"), "{bad}");
        let out = why("Unable to verify/create output bucket results");
        assert!(out.contains(".output_location(\"s3://BUCKET/PREFIX/\")"), "{out}");
        assert!(why("something else").starts_with("the query failed in Athena (Athena: something else)"));
        assert_eq!(why("x").lines().count(), 1);
    }
}
