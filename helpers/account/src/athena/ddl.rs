//! The CloudTrail table with partition projection, as the CloudTrail and Athena user guides document it ("Create the
//! table for CloudTrail logs in Athena using partition projection"), extended to an organisation's accounts and
//! regions: partitions `account` and `region` projected as enums, `timestamp` as dates (`yyyy/MM/dd`, daily), under
//! `storage.location.template`, so a query names its days, accounts and regions and Athena reads only those folders
//! (no crawler, no `ALTER TABLE ADD PARTITION`).

use std::collections::HashMap;

use crate::error::{AccountError, Result};

/// The table's partition columns, in order.
pub const PARTITIONS: [&str; 3] = ["account", "region", "timestamp"];

/// The first day the projection covers unless an earlier one is read: CloudTrail's 90-day history is older than
/// most trails, and a range starting earlier only costs listing empty folders.
const PROJECTION_START: &str = "2020/01/01";

/// The table the query reads: where, and which accounts and regions its projection covers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSpec {
    /// Glue database.
    pub database: String,
    /// Table name.
    pub table: String,
    /// `s3://BUCKET/[PREFIX/]AWSLogs/[o-ORGID/]`, ending with `/`.
    pub location: String,
    /// Accounts of the `account` enum.
    pub accounts: Vec<String>,
    /// Regions of the `region` enum.
    pub regions: Vec<String>,
    /// First day of the `timestamp` projection, `yyyy/MM/dd`.
    pub first_day: String,
}

/// True for a name Athena takes unquoted for a database or table: lower-case letters, digits and `_`, at most 255.
pub fn is_name(text: &str) -> bool {
    !text.is_empty()
        && text.len() <= 255
        && text.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_')
}

impl TableSpec {
    /// `storage.location.template`: the location with the three partitions.
    pub fn template(&self) -> String {
        format!("{}${{account}}/CloudTrail/${{region}}/${{timestamp}}", self.location)
    }

    /// `"database"."table"`.
    pub fn qualified(&self) -> String {
        format!("\"{}\".\"{}\"", self.database, self.table)
    }

    /// The table's properties (the projection), as Glue stores them.
    pub fn properties(&self) -> Vec<(&'static str, String)> {
        vec![
            ("projection.enabled", "true".into()),
            ("projection.account.type", "enum".into()),
            ("projection.account.values", self.accounts.join(",")),
            ("projection.region.type", "enum".into()),
            ("projection.region.values", self.regions.join(",")),
            ("projection.timestamp.type", "date".into()),
            ("projection.timestamp.format", "yyyy/MM/dd".into()),
            ("projection.timestamp.interval", "1".into()),
            ("projection.timestamp.interval.unit", "DAYS".into()),
            ("projection.timestamp.range", format!("{},NOW", self.first_day)),
            ("storage.location.template", self.template()),
        ]
    }

    /// The documented CloudTrail table's `CREATE EXTERNAL TABLE` with this projection.
    pub fn ddl(&self) -> String {
        let properties: Vec<String> = self.properties().iter().map(|(k, v)| format!("  '{k}'='{v}'")).collect();
        format!(
            "CREATE EXTERNAL TABLE {}.{} (\n{COLUMNS}\n)\nPARTITIONED BY (`account` string, `region` string, \
             `timestamp` string)\nROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'\nSTORED AS INPUTFORMAT \
             'com.amazon.emr.cloudtrail.CloudTrailInputFormat'\nOUTPUTFORMAT \
             'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'\nLOCATION '{}'\nTBLPROPERTIES (\n{}\n)",
            self.database,
            self.table,
            self.location,
            properties.join(",\n")
        )
    }

    /// Why an existing table with these `parameters` (GetTableMetadata's) cannot answer this read, if it cannot:
    /// another location, or accounts, regions or days its projection leaves out (the query would silently read
    /// nothing there).
    pub fn mismatch(&self, parameters: &HashMap<String, String>) -> Option<String> {
        let get = |key: &str| parameters.get(key).map(String::as_str).unwrap_or("");
        let name = format!("{}.{}", self.database, self.table);
        let fix =
            format!("drop it (DROP TABLE {name}) to have it made again, or choose another table with .table(\"…\")");
        if get("projection.enabled") != "true" || get("storage.location.template") != self.template() {
            return Some(format!(
                "the table {name} exists but is not this trail's table with partition projection (its \
                 storage.location.template is {:?}, this read needs {:?}): {fix}",
                get("storage.location.template"),
                self.template()
            ));
        }
        let values = |key: &str| get(key).split(',').map(str::trim).map(str::to_string).collect::<Vec<_>>();
        let (accounts, regions) = (values("projection.account.values"), values("projection.region.values"));
        let missing_accounts: Vec<&str> =
            self.accounts.iter().filter(|a| !accounts.contains(a)).map(String::as_str).collect();
        let missing_regions: Vec<&str> =
            self.regions.iter().filter(|r| !regions.contains(r)).map(String::as_str).collect();
        if !missing_accounts.is_empty() || !missing_regions.is_empty() {
            return Some(format!(
                "the table {name} projects accounts [{}] and regions [{}]; this read also needs accounts [{}] and \
                 regions [{}], which Athena would silently find empty: {fix}",
                accounts.join(", "),
                regions.join(", "),
                missing_accounts.join(", "),
                missing_regions.join(", ")
            ));
        }
        let start = get("projection.timestamp.range").split(',').next().unwrap_or("").trim().to_string();
        if start.is_empty() || start.as_str() > self.first_day.as_str() {
            return Some(format!(
                "the table {name} projects days from {start:?}; this read starts on {}, which Athena would \
                 silently find empty: {fix}",
                self.first_day
            ));
        }
        None
    }
}

/// The first day of the projection for a read starting on `first_day` (`yyyy/MM/dd`).
pub fn projection_start(first_day: &str) -> String {
    if first_day < PROJECTION_START {
        first_day.to_string()
    } else {
        PROJECTION_START.to_string()
    }
}

/// Checks a database or table name, naming the option.
pub fn check_name(option: &str, value: &str) -> Result<()> {
    if is_name(value) {
        Ok(())
    } else {
        Err(AccountError::InvalidInput(format!(
            "{option} {value:?} is not an Athena name (lower-case letters, digits and _, at most 255)"
        )))
    }
}

/// The columns of the CloudTrail table as the Athena user guide documents them.
const COLUMNS: &str = "  eventversion STRING,
  useridentity STRUCT<
    type: STRING, principalid: STRING, arn: STRING, accountid: STRING, invokedby: STRING,
    accesskeyid: STRING, username: STRING,
    onbehalfof: STRUCT<userid: STRING, identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<mfaauthenticated: STRING, creationdate: STRING>,
      sessionissuer: STRUCT<type: STRING, principalid: STRING, arn: STRING, accountid: STRING, username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<federatedprovider: STRING, attributes: MAP<STRING,STRING>>>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<arn: STRING, accountid: STRING, type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  addendum STRUCT<reason: STRING, updatedfields: STRING, originalrequestid: STRING, originaleventid: STRING>,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<tlsversion: STRING, ciphersuite: STRING, clientprovidedhostheader: STRING>";

#[cfg(test)]
mod tests {
    use super::*;

    fn spec() -> TableSpec {
        TableSpec {
            database: "default".into(),
            table: "cloudtrail_ipinsights".into(),
            location: "s3://org-trail/AWSLogs/o-abcdefghij/".into(),
            accounts: vec!["111122223333".into(), "444455556666".into()],
            regions: vec!["us-east-1".into(), "eu-west-1".into()],
            first_day: "2020/01/01".into(),
        }
    }

    #[test]
    fn the_ddl_projects_accounts_regions_and_days() {
        let ddl = spec().ddl();
        assert!(ddl.starts_with("CREATE EXTERNAL TABLE default.cloudtrail_ipinsights ("), "{ddl}");
        assert!(ddl.contains("'projection.account.values'='111122223333,444455556666'"), "{ddl}");
        assert!(
            ddl.contains(
                "'storage.location.template'='s3://org-trail/AWSLogs/o-abcdefghij/${account}/CloudTrail/${region}/\
                 ${timestamp}'"
            ),
            "{ddl}"
        );
        assert!(ddl.contains("LOCATION 's3://org-trail/AWSLogs/o-abcdefghij/'"), "{ddl}");
        assert!(ddl.lines().all(|l| l.len() <= 120), "readable when printed");
    }

    #[test]
    fn an_existing_table_that_would_drop_data_is_refused() {
        let wanted = spec();
        let params: HashMap<String, String> =
            wanted.properties().into_iter().map(|(k, v)| (k.to_string(), v)).collect();
        assert_eq!(wanted.mismatch(&params), None);
        let mut fewer = params.clone();
        fewer.insert("projection.region.values".into(), "us-east-1".into());
        let why = wanted.mismatch(&fewer).unwrap();
        assert!(why.contains("regions [eu-west-1], which Athena would silently find empty"), "{why}");
        assert!(why.contains("DROP TABLE default.cloudtrail_ipinsights"), "{why}");
        let mut elsewhere = params.clone();
        elsewhere.insert("storage.location.template".into(), "s3://other/".into());
        assert!(wanted.mismatch(&elsewhere).unwrap().contains("not this trail's table"));
        let later = TableSpec { first_day: "2019/06/01".into(), ..spec() };
        assert!(later.mismatch(&params).unwrap().contains("projects days from \"2020/01/01\""));
        assert!(is_name("cloudtrail_2") && !is_name("Bad-Name") && !is_name(""));
    }
}
