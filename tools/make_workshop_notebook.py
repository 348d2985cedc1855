"""Writes notebooks/ip-insights-workshop.ipynb from the cell list below (`python3 tools/make_workshop_notebook.py`).

The notebook is the product; this script only keeps its JSON tidy and reviewable. Edit the cells here, run it,
and commit both files; `--check` (run by scripts/run-tests) fails when they differ.
"""
from nbcells import code, main, md


cells = [
    md("""# Using IP Insights to score security findings

Welcome to the IP Insights workshop, in Rust. In this notebook you will:

1. set up storage for the training data and the model,
2. train an **IP Insights** model on ⟨principal, IP address⟩ pairs taken from CloudTrail logs,
3. deploy the model to an endpoint,
4. score GuardDuty findings and compare them with normal activity,
5. choose alert thresholds,
6. wire up live detection of suspicious findings, and
7. clean up.

Every cell runs on the **local backend** by default: a faithful implementation of SageMaker's IP Insights
algorithm, a local training job and a local endpoint speaking SageMaker's inference protocol, so no AWS account
is needed. To run the same cells on Amazon S3 and SageMaker, load the helper crate with the `aws` feature (next
cell) and set `IPINSIGHTS_BACKEND=aws` (see the README).

The next cell loads the helper crate. The first kernel on a fresh copy of the repository compiles it (about a
minute); later kernels reuse that build, and the cell only spends a few seconds indexing the helpers so that the
cells after it run quickly."""),
    code("""
:dep ipinsights-workshop = { path = "../helpers/workshop" }
use ipinsights_workshop::prelude::*;
use std::path::Path;
let notebook_started = std::time::Instant::now(); // the cleanup cell prints how long the workshop took from here
println!("Welcome to the IP Insights workshop!");
"""),
    md("""## Setup

Training input and output live in a bucket under a prefix. On the local backend a bucket is a folder on this
machine, so the paths below look exactly like the S3 paths SageMaker would use. The check prints where the data
will go, or tells you what is wrong with the bucket."""),
    code("""
let session = Session::new()?;
let bucket = "ipinsights-workshop-bucket"; // <-- your S3 bucket when you switch to AWS
let prefix = "secml/ipinsights";
let execution_role = session.execution_role()?;
session.check_bucket(bucket, prefix)?;
""", "setup"),
    md("""## Training data: ⟨principal, IP⟩ pairs from CloudTrail

IP Insights learns which IP addresses each principal normally uses. Our training data comes from CloudTrail: every
API call records who made it (`userIdentity.principalId`) and from where (`sourceIPAddress`). Sessions of a
service role (`AROA…:session`) count as their role; people stay apart: the root user, each federated user and each
IAM Identity Center session (`AROA…:alice@example.com`) is a principal of its own. Calls made by AWS services
(`ec2.amazonaws.com`, `AWS Internal`) are skipped, with a count of every skip.

The next cell chooses where the data comes from; every cell after it is the same whatever you choose:

- `DataSource::Simulated` (the default, on both backends): a simulated AWS account, a few dozen IAM users and
  roles working from their home, office and mobile networks for a week, written as real CloudTrail log files in
  S3's folder layout, plus the GuardDuty findings raised on that account;
- `DataSource::own_account(bucket, first_day, last_day)`: **your own account**, its CloudTrail read straight from
  the trail's S3 bucket (optionally `.regions(&[..])`, `.prefix(..)`, `.accounts(&[..])`) and its GuardDuty findings
  from the GuardDuty API. This needs the AWS backend with the helper crate's `account` feature: change the first code
  cell's `:dep` line to `features = ["account"]`, start Jupyter with `IPINSIGHTS_BACKEND=aws`, and swap the
  comment below (see the README, "Your own account", for the permissions it needs).

As in the IP Insights tutorial, we split the activity by time: the first 80 % trains the model, the last 20 % is
held out as normal activity the model has never seen."""),
    code("""
let source = account::DataSource::Simulated;
// let source = account::DataSource::own_account("my-cloudtrail-bucket", "2024-03-04", "2024-03-10").regions(&["us-east-1"]);
let data = account::security_data(&session, &source, Path::new("../out/security-data"))?;
println!("{data}");
""", "data-source"),
    code("""
let (train_tuples, held_out_tuples) = split_by_time(&data.trail.tuples, 0.8);
println!("{} tuples to train on, {} held out", train_tuples.len(), held_out_tuples.len());
let tuples_file = Path::new("../out/cloudtrail_tuples.csv");
engine::tuples::write_tuples(tuples_file, &train_tuples)?;
let train_uri = session.upload_data(tuples_file, bucket, &format!("{prefix}/train/cloudtrail_tuples.csv"))?;
println!("Training data: {train_uri}");
""", "training-data"),
    md("""## Training

First, the algorithm's container image for our region and the training channel: a CSV file of
`principal,ip` rows, fully replicated to every training instance."""),
    code("""
let image = image_uri(session.region(), "ipinsights")?;
let input = TrainingInput::new(train_uri.clone()).distribution("FullyReplicated").content_type("text/csv");
println!("Image: {image}");
"""),
    md("""Now the estimator and the IP Insights hyperparameters:

- **num_entity_vectors**: rows of the entity embedding table; principals are hashed into them (use about twice
  the number of distinct principals);
- **vector_dim**: size of the principal and IP embeddings;
- **random_negative_sampling_rate**: random-IP negatives per observed pair, so the model learns what *unusual*
  looks like;
- **mini_batch_size**, **epochs**, **learning_rate**: the training schedule (Adam).

Then `fit` runs the training job and streams its log. On SageMaker this cell takes **3–4 minutes**: most of it is
SageMaker starting a training instance and loading the algorithm's container before the five epochs run. The local
training job starts at once, so here it is much quicker; the log has the same shape either way."""),
    code("""
let mut ip_insights = Estimator::new(&session, image.clone(), execution_role.clone())
    .instance_count(1)
    .instance_type("ml.m5.xlarge")
    .output_path(format!("s3://{bucket}/{prefix}/output"));
ip_insights.set_hyperparameters(
    IpInsightsParams::new(20000, 128) // num_entity_vectors, vector_dim
        .random_negative_sampling_rate(5)
        .mini_batch_size(1000)
        .epochs(5)
        .learning_rate(0.01),
)?;
ip_insights.fit(&[("train", input.clone())])?;
""", "fit"),
    code("""
println!("Training job name: {}", ip_insights.latest_training_job.as_ref().map(|j| j.job_name.as_str()).unwrap_or("none"));
"""),
    md("""## Deploy

`deploy` creates an endpoint serving the model. Each `-` is a status check while it starts; `!` means it is in
service. On SageMaker this takes **5–7 minutes** (an instance starts and loads the model); the local endpoint is a
process on this machine and is ready almost at once.

The endpoint is named after the training job, so this cell is safe to run again: a second run finds
the endpoint already serving this model and reuses it (no second endpoint, no second bill); asked
for other instances, it replaces it. If the wait is interrupted (an expired sign-in, a kernel
restart), the endpoint keeps starting: `Predictor::attach(&session, "<endpoint name>")` picks it up
again."""),
    code("""
let mut predictor = ip_insights.deploy(1, "ml.m5.xlarge")?;
println!("Endpoint name: {}", predictor.endpoint);
""", "deploy"),
    md("""## Inference

We send CSV rows and ask for JSON answers, like the SDK's `csv_serializer` and `json_deserializer`."""),
    code("""
predictor.serializer = Serializer::Csv;
predictor.deserializer = Deserializer::Json;
"""),
    md("""A sanity check: the pairs we trained on should look normal to the model. The score, `dot_product`, is a
log-odds: the **higher, the more normal** the pair. Notice that (almost) all training pairs score above zero: the
cell prints the share for this run."""),
    code("""
let train_scores = predictor.predict(&pairs(&train_tuples))?;
let train_dots = train_scores.dot_products();
let train_summary = ScoreSummary::of("Training pairs", &train_dots);
println!("{train_summary}");
train_scores.head(5)
""", "train-scores"),
    code("""
histogram_figure(&train_dots, 10, "IP Insights Score Histogram (training pairs)", "IP Insights Score")
""", "plot"),
    md("""## Scoring GuardDuty findings

GuardDuty findings about access keys name the principal and the remote IP address that used them. We turn each
finding into the same ⟨principal, IP⟩ pairs with the same call as the CloudTrail tuples (and the same principal
rule, so assumed-role findings match their role) and score them. The data-source cell above read them
(`data.findings`, with its counts and skips)."""),
    code("""
let finding_dots = predictor.predict(&pairs(&data.findings.tuples))?.dot_products();
let finding_summary = ScoreSummary::of("GuardDuty findings", &finding_dots);
println!("Mean dot_product: training {:.3}, GuardDuty {:.3}", train_summary.mean, finding_summary.mean);
""", "guardduty-scores"),
    md("""The two series differ in size by orders of magnitude, so the histogram shows each as a percentage of its own
pairs (the legend gives their sizes). `save_svg` keeps a copy of the figure for slides (`save_png` too, with the
helper crate's `png` feature)."""),
    code("""
let overlay = overlaid_histograms(
    &[
        Series { label: "GuardDuty", values: &finding_dots, color: RED },
        Series { label: "Training", values: &train_dots, color: BLUE },
    ],
    10,
    "IP Insights Score Histogram",
    "IP Insights Score",
    &[],
);
overlay.save_svg("../out/figures/guardduty-overlay.svg")?;
overlay
""", "plot", "guardduty-plot"),
    md("""What does the figure say? The numbers of this run:"""),
    code("""
println!("{}", compare(&finding_summary, &train_summary));
""", "guardduty-interpretation"),
    md("""## Choosing a threshold

How low must a score be to raise an alert? That depends on what the alert costs:

- an alert that sends an **analyst** to review the finding is expensive, so we want few false positives;
- an alert that just asks the user for **MFA** is cheap, so we want to catch nearly every attack.

We need scores of anomalous activity to compare with. Real attacks are rare, so we simulate them as the tutorial
does: known principals paired with random IP addresses. Normal activity is the held-out 20 % of CloudTrail, which
the model has not seen. From here on we use the **anomaly score = −dot_product** (higher = more anomalous); an
event is flagged when its anomaly score is above the threshold."""),
    code("""
let held_out_dots = predictor.predict(&pairs(&held_out_tuples))?.dot_products();
let simulated = detect::random_ip_anomalies(&held_out_tuples, held_out_tuples.len(), 7);
let simulated_dots = predictor.predict(&pairs(&simulated))?.dot_products();
let analysis = ThresholdAnalysis::from_dot_products(&held_out_dots, &simulated_dots)?;
println!("AUC: {:.4}", analysis.auc());
let analyst_review = analysis.choose(ThresholdRule::MaxFalsePositiveRate(0.01))?;
let step_up_mfa = analysis.choose(ThresholdRule::MinRecall(0.99))?;
println!("Analyst review: {analyst_review}");
println!("Ask for MFA:    {step_up_mfa}");
""", "thresholds"),
    code("""
let normal_scores = anomaly_scores(&held_out_dots);
let anomalous_scores = anomaly_scores(&simulated_dots);
overlaid_histograms(
    &[
        Series { label: "Simulated attacks", values: &anomalous_scores, color: RED },
        Series { label: "Normal (held out)", values: &normal_scores, color: BLUE },
    ],
    30,
    "Anomaly scores and the chosen thresholds",
    "Anomaly score (−dot_product)",
    &[
        Marker { x: analyst_review.threshold, label: "analyst review" },
        Marker { x: step_up_mfa.threshold, label: "ask for MFA" },
    ],
)
""", "plot"),
    md("""The ROC curve shows the same trade-off for every threshold at once. Its false-positive axis is logarithmic:
thresholds for alerts live at the left, where a few tenths of a percent of normal events make the difference."""),
    code("""
roc_figure(
    analysis.roc(),
    analysis.auc(),
    &[("analyst review", analysis.at(analyst_review.threshold)), ("ask for MFA", analysis.at(step_up_mfa.threshold))],
)
""", "plot"),
    md("""## Putting it together: live detection

In production an EventBridge rule sends each GuardDuty finding to a function that extracts the principal and the
remote IP, scores them on the endpoint, compares the score with the threshold and raises an alert. The same
detector runs here over the findings the data-source cell read (and as an AWS Lambda handler, see the README). Each
alert explains itself with the principal's most familiar networks."""),
    code("""
let detector = Detector::new(predictor.clone(), analyst_review.threshold)?.with_familiarity(Familiarity::from_tuples(&train_tuples));
let findings_text = std::fs::read_to_string(&data.findings_path)?;
let detections = detector.detect_str(&findings_text)?;
let alerts = detections.iter().filter(|d| d.verdict == Verdict::Alert).count();
println!("{} findings scored: {} alerts at threshold {:.3}", detections.len(), alerts, analyst_review.threshold);
detections_table(&detections, Verdict::Alert)
""", "detection"),
    md("""## Production: the detector in your AWS account

The cell above ran the detector in this notebook. In your AWS account the same pipeline runs without a notebook: a
**GuardDuty finding** goes to an **EventBridge rule**, which invokes an **AWS Lambda function** that scores the
finding's principal and IP on this endpoint, compares the anomaly score with the threshold and publishes an alert to
an **SNS topic** (subscribe your team's e-mail address to it).

`account::deploy_detector(&session, &predictor.endpoint, threshold, email)` creates every piece (IAM role, Lambda
function, EventBridge rule, SNS topic) and `account::teardown_detector(&session)` removes them again. They need the
AWS backend with the helper crate's `account` feature and the function's package, built once with
`scripts/package-lambda`. To deploy, set `deploy_to_account` to `true` below; the cleanup cell then tears the
detector down before it deletes the endpoint (skip the cleanup cell to leave both running). On the local backend
the detector stays in this notebook, and the cell only says so."""),
    code("""
let deploy_to_account = false; // <-- true to deploy the detector into your AWS account (AWS backend, feature "account")
if deploy_to_account {
    account::deploy_detector(&session, &predictor.endpoint, analyst_review.threshold, None)?; // or Some("soc@example.com")
} else {
    println!("Detector not deployed ({} backend): findings are scored in this notebook only, at threshold {:.3}.",
        session.backend_kind(), analyst_review.threshold);
    println!("Set deploy_to_account = true to deploy it into your AWS account.");
};
""", "production"),
    md("""## Cleanup

Delete what the workshop made when you are done, to avoid any recurring charges (on the local
backend: to stop the endpoint's server process), after the detector if you deployed one.
`session.cleanup()` deletes every endpoint, endpoint config and model this session made, and stops
any job still running. Everything the workshop creates is tagged `ipinsights-workshop`, so
`session.leftovers()` also lists what an earlier kernel left running (name, age, instances,
approximate hourly cost); `session.delete_leftovers()` deletes it. Safe to run twice."""),
    code("""
if deploy_to_account {
    account::teardown_detector(&session)?;
}
session.cleanup()?;
println!("{}", session.leftovers()?); // delete these too with session.delete_leftovers()?;
println!("Workshop cells ran in {:.1} s after loading the helpers", notebook_started.elapsed().as_secs_f64());
""", "cleanup"),
]

if __name__ == "__main__":
    main(cells, "notebooks/ip-insights-workshop.ipynb")
