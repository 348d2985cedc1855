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
5. choose alert thresholds against several kinds of simulated attackers,
6. wire up live detection of suspicious findings, and
7. clean up.

Every cell runs on the **local backend** by default: our own implementation of the IP Insights algorithm (the same
hyperparameters, training log and inference protocol as SageMaker's, but our own address encoder and hash, so its
scores are not SageMaker's scores), a local training job and a local endpoint, so no AWS account is needed. To run
the same cells on Amazon S3 and SageMaker, edit two lines: add `features = ["aws"]` to the `:dep` line in the next
cell, and swap the comment in the setup cell to `Session::aws()`; then restart the kernel (see the README,
"Switching to AWS").

The next cell loads the helper crate. The first kernel on a fresh copy of the repository compiles it (about a
minute); later kernels reuse that build, and the cell only spends a few seconds indexing the helpers so that the
cells after it run quickly."""),
    code("""
:dep ipinsights-workshop = { path = "../helpers/workshop" }
use ipinsights_workshop::prelude::*;
let notebook_started = Stopwatch::start(); // the cleanup cell prints how long the workshop took
println!("Welcome to the IP Insights workshop!");
""", "dep"),
    md("""## Setup

Training input and output live in a bucket under a prefix. On the local backend a bucket is a folder on this
machine, so the paths below look exactly like the S3 paths SageMaker would use. The check prints where the data
will go, or tells you what is wrong with the bucket. Last, the instance type the training job and the endpoint
will run on: on AWS the cell checks, before any data is uploaded, that SageMaker offers it in your region (its
quota for training jobs and for endpoints is above 0), and names the type, the use and the region if not.

The first line chooses the backend. To use your AWS account, comment it out and uncomment the second line (and add
`features = ["aws"]` to the `:dep` line above, then restart the kernel)."""),
    code("""
let session = Session::local()?;
// let session = Session::aws()?; // <-- AWS: also features = ["aws"] on the :dep line, then restart
let bucket = "ipinsights-workshop-bucket"; // <-- your S3 bucket when you switch to AWS
let prefix = "secml/ipinsights";
let execution_role = session.execution_role()?;
session.check_bucket(bucket, prefix)?;
let instance_type = "ml.m5.xlarge"; // <-- another type if your region has no M5 instances
session.check_instance_type(instance_type, &[InstanceUse::Training, InstanceUse::Endpoint])?;
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
  from the GuardDuty API. This needs the AWS session and the helper crate's `account` feature: change the `:dep`
  line to `features = ["account"]`, use `Session::aws()`, restart the kernel and swap the comment below (see the
  README, "Your own account", for the permissions it needs);
- `DataSource::athena(bucket, first_day, last_day)`: the same trail through **Amazon Athena**, for an
  organisation trail too large to read object by object: Athena scans the bucket where it lives and sends back one
  row per distinct principal, address and count (the cell prints the table's definition if it creates it, the
  bytes scanned and their cost).

As in the IP Insights tutorial, we split the activity by time: the first 80 % trains the model, the last 20 % is
held out as normal activity the model has never seen."""),
    code("""
let source = account::DataSource::Simulated;
// let source = account::DataSource::own_account("my-trail-bucket", "2024-03-04", "2024-03-10")
//     .regions(&["us-east-1"]);
// let source = account::DataSource::athena("org-trail", "2024-03-04", "2024-03-10").all_accounts();
let data = account::security_data(&session, &source, "../out/security-data")?;
println!("{data}");
""", "data-source"),
    code("""
let (train_tuples, held_out_tuples) = split_by_time(&data.trail.tuples, 0.8);
println!("{} tuples to train on, {} held out", train_tuples.len(), held_out_tuples.len());
let train_key = format!("{prefix}/train/cloudtrail_tuples.csv");
let train_uri = session.upload_tuples(&train_tuples, bucket, &train_key)?;
println!("Training data: {train_uri}");
""", "training-data"),
    md("""## What IP Insights learns

IP Insights learns two tables of vectors (**embeddings**): one vector per principal and one per IP address, both
of `vector_dim` numbers. The score of a pair is the **dot product** of the two vectors: large when the principal's
vector and the address's vector point the same way. Training pushes the vectors of pairs seen in CloudTrail
together and the vectors of made-up pairs apart.

**Principals** are hashed into `num_entity_vectors` rows: two principals that land on the same row share a vector.
With `n` principals and `m` rows about `n²/2m` pairs of principals share one, which is why SageMaker's guidance is
about twice as many rows as distinct principals; the next cells set it from the data.

**Addresses** share parameters by prefix. In our encoder an IPv4 address is the sum of eight learned rows: one for
each of its four octets at its position, and one for each of its /12, /16, /20 and /24 prefixes (the /20 and /24
ones hashed into a fixed number of rows), followed by a small neural network. Every address of a /24 shares that /24's row, so an address the model has never seen, inside a
network where the principal works, gets most of its vector from rows training already placed near that principal:
it scores as normal. An address in a network the principal never used shares nothing with its usual ones.

**Made-up pairs** (negatives) come in two kinds, each with its rate per real pair:

- `random_negative_sampling_rate` (R; SageMaker's default 1, we use 5): the real principal with a uniformly
  random IPv4 address;
- `shuffled_negative_sampling_rate` (S; default 1, left at it): the real principal with the address of another
  pair of the same mini-batch, so the model also learns that a real address used by someone else is unusual.

So every real pair is trained against R + S = 6 negatives. The score is a **log-odds** relative to that mix: a
positive `dot_product` says the model finds the pair more likely real than a sampled negative, when real pairs and
negatives come at 1 : (R + S). Change R or S and the place where 0 falls moves: compare scores only between models
trained with the same rates.

The model and its defaults follow SageMaker's IP Insights, but the encoder and hash above are **our design**
(SageMaker does not document its own): the same data gives different scores on SageMaker."""),
    md("""## Training

First, the algorithm's container image for our region and the training channel: a CSV file of
`principal,ip` rows, fully replicated to every training instance."""),
    code("""
let image = image_uri(session.region(), "ipinsights")?;
let input = TrainingInput::new(&train_uri).distribution("FullyReplicated").content_type("text/csv");
let principals = distinct_principals(&train_tuples);
println!("Image: {image}");
println!("{principals} distinct principals in the training data");
"""),
    md("""Now the estimator and the IP Insights hyperparameters:

- **num_entity_vectors**: rows of the principal embedding table, twice the number of distinct principals;
- **vector_dim**: size of the principal and IP embeddings;
- **random_negative_sampling_rate**: random-address negatives per real pair (the shuffled ones stay at 1);
- **mini_batch_size**, **epochs**, **learning_rate**: the training schedule (Adam).

Then `fit` runs the training job and streams its log. On SageMaker this cell takes **3–4 minutes**: most of it is
SageMaker starting a training instance and loading the algorithm's container before the five epochs run. The local
training job starts at once, so here it is much quicker; the log has the same shape either way."""),
    code("""
let mut ip_insights = Estimator::new(&session, &image, &execution_role)
    .instance_count(1)
    .instance_type(instance_type)
    .output_path(format!("s3://{bucket}/{prefix}/output"));
ip_insights.set_hyperparameters(
    IpInsightsParams::new(2 * principals, 128) // num_entity_vectors, vector_dim
        .random_negative_sampling_rate(5)
        .mini_batch_size(1000)
        .epochs(5)
        .learning_rate(0.01),
)?;
ip_insights.fit(&[("train", &input)])?;
""", "fit"),
    code("""
println!("Training job name: {}", ip_insights.job_name()?);
""", "job-name"),
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
let mut predictor = ip_insights.deploy(1, instance_type)?;
println!("Endpoint name: {}", predictor.endpoint);
""", "deploy"),
    md("""## Inference

We send CSV rows and ask for JSON answers, like the SDK's `csv_serializer` and `json_deserializer`."""),
    code("""
predictor.serializer = Serializer::Csv;
predictor.deserializer = Deserializer::Json;
""", "serializers"),
    md("""A sanity check: the pairs we trained on should look normal to the model, that is score above zero (more
likely real than a sampled negative). The cell prints the share for this run: look at it before moving on."""),
    code("""
let train_scores = predictor.predict(&train_tuples)?;
let train_dots = train_scores.dot_products();
let train_summary = ScoreSummary::of("Training pairs", &train_dots);
println!("{train_summary}");
train_scores.head(5)
""", "train-scores"),
    code("""
let title = "IP Insights Score Histogram (training pairs)";
histogram_figure(&train_dots, 10, title, "IP Insights Score")
""", "plot"),
    md("""## Scoring GuardDuty findings

GuardDuty findings about access keys name the principal and the remote IP address that used them. We turn each
finding into the same ⟨principal, IP⟩ pairs with the same call as the CloudTrail tuples (and the same principal
rule, so assumed-role findings match their role) and score them. The data-source cell above read them
(`data.findings`, with its counts and skips).

The fair comparison for findings is normal activity the model has **not** trained on: the held-out 20 % of
CloudTrail. Training pairs score higher than new normal activity simply because the model has seen them."""),
    code("""
let finding_dots = predictor.predict(&data.findings.tuples)?.dot_products();
let finding_summary = ScoreSummary::of("GuardDuty findings", &finding_dots);
let held_out_dots = predictor.predict(&held_out_tuples)?.dot_products();
let held_out_summary = ScoreSummary::of("Held-out pairs", &held_out_dots);
println!("{finding_summary}");
println!("{held_out_summary}");
""", "guardduty-scores"),
    md("""The two series differ in size, so the histogram shows each as a percentage of its own pairs (the legend gives
their sizes). `save_svg` keeps a copy of the figure for slides (`save_png` too, with the helper crate's `png`
feature)."""),
    code("""
let overlay = overlaid_histograms(
    &[
        Series { label: "GuardDuty", values: &finding_dots, color: RED },
        Series { label: "Held-out normal", values: &held_out_dots, color: BLUE },
    ],
    10,
    "IP Insights Score Histogram",
    "IP Insights Score",
    &[],
);
overlay.save_svg("../out/figures/guardduty-overlay.svg")?;
overlay
""", "plot", "guardduty-plot"),
    md("""What does the figure say? The next cell prints three numbers of this run:

- the **median** `dot_product` of the findings and of held-out normal pairs: look whether the findings' median is
  lower (less normal);
- how many findings score **below the 1st percentile** of normal pairs, the score 99 % of normal activity reaches:
  for those, IP Insights finds the principal–address pair unusual, and they are the findings to look at first;
- how many findings score **at or above the normal median**: for those the address looks normal for its principal,
  so the score adds little evidence and other signals must decide.

In our runs of the simulated account the findings' median is far below the normal one, over a quarter of the
findings fall below the normal 1st percentile, and fewer than one in five score at or above the normal median; read
this run's numbers, though: with your own account the split can be very different."""),
    code("""
let comparison = compare(&finding_summary, &held_out_summary);
println!("Median dot_product: findings {:.3}, held-out normal {:.3}",
    finding_summary.median, held_out_summary.median);
println!("Normal pairs' 1st percentile: {:.3}", comparison.normal_p01());
println!("Findings below it: {} of {}", comparison.below_normal_p01(), finding_summary.count);
println!("Findings at or above the normal median: {} of {}",
    comparison.at_or_above_normal_median(), finding_summary.count);
""", "guardduty-interpretation"),
    md("""## Choosing a threshold

How low must a score be to raise an alert? That depends on what the alert costs:

- an alert that sends an **analyst** to review the finding is expensive, so we want few false positives;
- an alert that just asks the user for **MFA** is cheap, so we want to catch nearly every attack.

From here on we use the **anomaly score = −dot_product** (higher = more anomalous); an event is flagged when its
anomaly score is above the threshold. Normal activity is the held-out 20 % of CloudTrail.

Real attacks are rare, so we simulate them, with four kinds of attacker, each using a known principal:

| kind | the attacker's address | why it matters |
|---|---|---|
| random IPv4 address | uniformly random (the tutorial's attacks) | easy: the model trained against exactly these |
| another user's network | in a /24 another principal of the account uses | a real address, but someone else's |
| cloud or VPN range | in a public cloud or hosting range (table below) | where attackers rent machines and VPN exits |
| same /16 as the user's network | the principal's own /16, outside every /24 it used | hardest: shares prefix rows |

The cloud and VPN ranges are a small illustrative table of ranges registered to these providers (not a complete or
current list; the providers publish theirs, e.g. AWS's `ip-ranges.json`): `3.80.0.0/12` and `52.20.0.0/14` (Amazon
EC2, us-east-1), `35.184.0.0/13` (Google Cloud), `159.89.0.0/16` and `167.99.0.0/16` (DigitalOcean), `45.79.0.0/16`
(Linode), `95.216.0.0/15` (Hetzner), `51.75.0.0/16` (OVH). The simulated account has no geography, so "the same
/16" stands in for an attacker in the user's own country or ISP.

The seed below fixes which attacks are drawn, so a rerun shows the same numbers; any other number draws others."""),
    code("""
let attack_seed = 7;
let attacks = simulate_attacks(&train_tuples, &held_out_tuples, attack_seed);
let grades = AttackGrades::score(&predictor, &held_out_dots, &attacks)?;
let analysis = grades.all_kinds();
println!("AUC, every kind together: {:.4}", analysis.auc());
let analyst_review = analysis.choose(ThresholdRule::MaxFalsePositiveRate(0.01))?;
let step_up_mfa = analysis.choose(ThresholdRule::MinRecall(0.99))?;
println!("Analyst review: {analyst_review}");
println!("Ask for MFA:    {step_up_mfa}");
""", "thresholds"),
    md("""Each kind beside the others: its AUC (the probability that a normal pair scores as more normal than an attack
of that kind), the share of its attacks each chosen threshold catches, and the threshold a "catch 99 %" rule would
choose from that kind alone, with the share of normal pairs it would flag."""),
    code("""
let chosen = [("analyst review", analyst_review.threshold), ("ask for MFA", step_up_mfa.threshold)];
grades.table(&chosen)
""", "attack-kinds"),
    md("""Read the table row by row. The two rules do not deserve the same trust:

- the **analyst-review** threshold comes from a false-positive rule: it needs only normal data (1 % of held-out
  normal pairs flagged), so it means the same whatever attackers really do. What it catches differs by kind: look
  at its column;
- the **ask-for-MFA** threshold comes from a recall rule (catch 99 % of the simulated attacks), so it is only as
  good as the simulation: the last two columns show how far the threshold moves, and how many normal pairs it
  flags, when the attacker is of one kind or another.

In our runs the AUC is close to 1 for random addresses, cloud ranges and other users' networks, and clearly lower
for the attacker in the user's own /16, whom the analyst-review threshold almost never catches: an attacker inside
the user's own network looks normal to a model of networks. The recall rule, to catch 99 % of every kind, has to
flag a large share of normal pairs too: look at its false positive rate. Check this run's table before trusting
either threshold."""),
    code("""
overlaid_histograms(
    &[
        Series { label: "Attacks (all kinds)", values: analysis.anomalous_scores(), color: RED },
        Series { label: "Normal (held out)", values: analysis.normal_scores(), color: BLUE },
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
    &[
        ("analyst review", analysis.at(analyst_review.threshold)),
        ("ask for MFA", analysis.at(step_up_mfa.threshold)),
    ],
)
""", "plot"),
    md("""## Putting it together: live detection

In production an EventBridge rule sends each GuardDuty finding to a function that extracts the principal and the
remote IP, scores them on the endpoint, compares the score with the threshold and raises an alert. The same
detector runs here over the findings the data-source cell read (and as an AWS Lambda handler, see the README). Each
alert explains itself with the principal's most familiar networks."""),
    code("""
let detector = predictor.detector(analyst_review.threshold)?.with_familiarity(&train_tuples);
let detections = detector.detect(&data)?;
println!("{detections}");
detections_table(&detections, Verdict::Alert)
""", "detection"),
    md("""## Production: the detector in your AWS account

The cell above ran the detector in this notebook. In your AWS account the same pipeline runs without a notebook: a
**GuardDuty finding** goes to an **EventBridge rule**, which invokes an **AWS Lambda function** that scores the
finding's principal and IP on this endpoint, compares the anomaly score with the threshold and publishes an alert to
an **SNS topic** (subscribe your team's e-mail address to it).

`account::deploy_detector(&session, &predictor.endpoint, threshold, email)` creates every piece (IAM role, Lambda
function, EventBridge rule, SNS topic) and `account::teardown_detector(&session)` removes them again. They need the
AWS session with the helper crate's `account` feature and the function's package, built once with
`scripts/package-lambda`. To deploy, set `deploy_to_account` to `true` below; the cleanup cell then tears the
detector down before it deletes the endpoint (skip the cleanup cell to leave both running). On the local backend
the detector stays in this notebook, and the cell only says so."""),
    code("""
let deploy_to_account = false; // <-- true: deploy the detector (AWS session, feature "account")
let alert_email = None; // or Some("soc@example.com")
if deploy_to_account {
    account::deploy_detector(&session, &predictor.endpoint, analyst_review.threshold, alert_email)?;
} else {
    println!("Detector not deployed ({} backend).", session.backend_name());
    println!("Findings are scored here only, at threshold {:.3}.", analyst_review.threshold);
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
println!("Workshop cells ran in {:.1} s after loading the helpers", notebook_started.seconds());
""", "cleanup"),
]

if __name__ == "__main__":
    main(cells, "notebooks/ip-insights-workshop.ipynb")
