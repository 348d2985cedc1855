"""Writes notebooks/ip-insights-tutorial.ipynb, the deeper companion of the workshop notebook
(`python3 tools/make_tutorial_notebook.py`; `--check` fails when the committed notebook differs).

It follows the IP Insights tutorial: synthetic login data, a validation channel, bulk scoring of a labelled test
set, and an evaluation (AUC, precision and recall at a threshold, the ROC curve, what the embeddings look like).
"""
from nbcells import code, main, md

cells = [
    md("""# IP Insights, in depth: training, validation and evaluation

The workshop notebook scores real-looking security findings. This one follows the **IP Insights tutorial** to look
more closely at the model itself, on data where we know the truth:

1. generate login events shaped like the tutorial's (users working from home and office networks, sometimes
   travelling), split by time into training and test periods;
2. train with a **validation channel**, so every epoch reports `validation discriminator_auc`;
3. score a labelled test set **in bulk**: held-out normal logins plus the same number of attacks (known users
   from random networks);
4. measure the model: AUC, precision and recall at a threshold, the ROC curve, and the embeddings behind a score.

Like the workshop, it runs on the local backend by default. To run it on SageMaker, add `features = ["aws"]` to the
`:dep` line below, swap the comment in the setup cell to `Session::aws()`, and restart the kernel. The next cell
loads the helper crate: the first kernel on a fresh copy of the repository compiles it (about a minute); later
kernels reuse that build and only spend a few seconds indexing the helpers, so that the cells after it run
quickly."""),
    code("""
:dep ipinsights-workshop = { path = "../helpers/workshop" }
use ipinsights_workshop::prelude::*;
let notebook_started = Stopwatch::start(); // the cleanup cell prints how long the notebook took
""", "dep"),
    code("""
let session = Session::local()?;
// let session = Session::aws()?; // <-- AWS: also features = ["aws"] on the :dep line, then restart
let bucket = "ipinsights-workshop-bucket"; // <-- your S3 bucket when you switch to AWS
let prefix = "secml/ipinsights-tutorial";
let execution_role = session.execution_role()?;
session.check_bucket(bucket, prefix)?;
let instance_type = "ml.m5.xlarge"; // <-- another type if your region has no M5 instances
let uses = [InstanceUse::Training, InstanceUse::Endpoint, InstanceUse::Transform];
session.check_instance_type(instance_type, &uses)?;
""", "setup"),
    md("""## Synthetic login data

The tutorial's generator simulates users over ten days. Each user has a home and a work network (an autonomous
system, ASN) and logs in mostly from those; now and then they travel and log in from a random network anywhere.
The first seven days train the model; the last three provide the test set: normal logins of known users, and as
many **attacks**, known users paired with an IP address from a random network. We use 1,000 users here (the
tutorial uses 10,000) so that the notebook runs in a minute. The seed fixes the draw: the same seed gives the same
logins on every run."""),
    code("""
let users = 1000;
let data = synthetic_logins(users, 17);
println!("{} login events by {users} users", data.events);
println!("{} training tuples (days 1–7)", data.train.len());
println!("{} test pairs: {} normal, {} attacks",
    data.test.len(), data.normal_count(), data.attack_count());
let travel_percent = 100.0 * data.travel_share();
println!("{travel_percent:.1} % of the normal test logins were made while travelling");
""", "tutorial-data"),
    md("""The validation channel holds the last 10 % of the training period, so the validation score measures how well
the model generalises to logins it has not seen. Both channels go to the bucket as headerless `user,ip` CSV."""),
    code("""
let cut = data.train.len() * 9 / 10;
let train_key = format!("{prefix}/train/train.csv");
let validation_key = format!("{prefix}/validation/validation.csv");
let train_uri = session.upload_tuples(&data.train[..cut], bucket, &train_key)?;
let validation_uri = session.upload_tuples(&data.train[cut..], bucket, &validation_key)?;
println!("train: {train_uri}");
println!("validation: {validation_uri}");
""", "upload"),
    md("""## Training with a validation channel

Same hyperparameters as the workshop, with `num_entity_vectors` at twice the number of users. With a
`validation` channel the training job evaluates the model after every epoch on the validation pairs against as
many random-IP negatives and logs `validation discriminator_auc`. On SageMaker, training takes a few minutes of
instance start-up before the first epoch, and the endpoint after it **5–7 minutes**; both are local processes here
and start at once."""),
    code("""
let image = image_uri(session.region(), "ipinsights")?;
let mut estimator = Estimator::new(&session, &image, &execution_role)
    .instance_count(1)
    .instance_type(instance_type)
    .output_path(format!("s3://{bucket}/{prefix}/output"));
estimator.set_hyperparameters(
    IpInsightsParams::new(2 * users, 128) // num_entity_vectors, vector_dim
        .random_negative_sampling_rate(5)
        .mini_batch_size(1000)
        .epochs(5)
        .learning_rate(0.01),
)?;
let train_input = TrainingInput::new(&train_uri).content_type("text/csv");
let validation_input = TrainingInput::new(&validation_uri).content_type("text/csv");
estimator.fit(&[("train", &train_input), ("validation", &validation_input)])?;
""", "fit-validation"),
    code("""
let mut predictor = estimator.deploy(1, instance_type)?;
predictor.serializer = Serializer::Csv;
predictor.deserializer = Deserializer::Json;
println!("Endpoint name: {}", predictor.endpoint);
""", "deploy"),
    md("""## Scoring the test set in bulk

The test set is a few megabytes of CSV. `predict` splits a large request into bodies under SageMaker's 6 MiB
limit, sends them concurrently and returns the scores in input order. `by_label` then splits the scores into the
normal logins, the attacks, and the normal logins made at home or work."""),
    code("""
let stopwatch = Stopwatch::start();
let test_dots = predictor.predict(&data.test)?.dot_products();
println!("Scored {}", stopwatch.rate(test_dots.len(), "pairs"));
let scores = data.by_label(&test_dots);
""", "bulk-scoring"),
    md("""## How good is the model?

The **AUC** is the probability that a random normal login scores as more normal than a random attack. As in the
tutorial, an event is flagged when its anomaly score (−dot_product) is above a threshold; at threshold 0 we flag
every pair the model finds more likely a sampled negative than a real login."""),
    code("""
let analysis = ThresholdAnalysis::from_dot_products(&scores.normal, &scores.attacks)?;
let at_zero = analysis.at(0.0);
println!("AUC: {:.4}", analysis.auc());
println!("At threshold 0: precision {:.3}, recall {:.3}, false positive rate {:.3}",
    at_zero.precision, at_zero.recall, at_zero.false_positive_rate);
let without_travel =
    ThresholdAnalysis::from_dot_products(&scores.normal_not_travelling, &scores.attacks)?;
println!("AUC without the travelling logins: {:.4}", without_travel.auc());
""", "evaluation"),
    md("""A login from a random network while travelling has, by construction, its address drawn exactly like an
attack's: the address alone cannot tell them apart (only who logs in, and how often, still can). Compare the two
AUCs above: in our runs most of the remaining errors are travelling logins, and without them the model separates
normal logins from attacks almost perfectly."""),
    code("""
let normal_scores = anomaly_scores(&scores.normal);
let attack_scores = anomaly_scores(&scores.attacks);
overlaid_histograms(
    &[
        Series { label: "Attacks", values: &attack_scores, color: RED },
        Series { label: "Normal logins", values: &normal_scores, color: BLUE },
    ],
    40,
    "Anomaly scores on the test set",
    "Anomaly score (−dot_product)",
    &[Marker { x: 0.0, label: "threshold 0" }],
)
""", "plot"),
    md("""The ROC curve on a logarithmic false-positive axis: the region where thresholds live, a fraction of a
percent of normal logins flagged, gets as much room as the rest."""),
    code("""
roc_figure(analysis.roc(), analysis.auc(), &[("threshold 0", at_zero)])
""", "plot"),
    md("""## Behind a score: the embeddings

A score is the dot product of two learned vectors: one for the user, one for the IP address. The verbose
deserializer asks the endpoint for both (`application/json; verbose=True`); the cell multiplies them again, for
the first normal login and the first attack of the test set."""),
    code("""
predictor.deserializer = Deserializer::JsonVerbose;
let verbose = predictor.predict(&data.test_examples())?;
for pair in verbose.embeddings() {
    let product = dot(&pair.entity_embedding, &pair.ip_embedding);
    println!("{} from {}: dot_product {:.4} = entity · ip ({} dimensions: {product:.4})",
        pair.entity, pair.ip, pair.dot_product, pair.entity_embedding.len());
}
verbose.head(2)
""", "embeddings"),
    md("""## Batch transform: scoring a file without an endpoint

To score a large file once, SageMaker users run a **batch transform job** instead of keeping an endpoint up:
`estimator.transformer(instance_count, instance_type)` makes a model from the training job, and
`transform(data, content_type, split_type)` scores every object under `data`, writing `<name>.out` under the
output path, one JSON line per record, in input order. On SageMaker the job starts its own instances (a few
minutes) and stops them when done; the local backend runs the same job as a process."""),
    code("""
let test_uri = session.upload_tuples(&data.test, bucket, &format!("{prefix}/test/test.csv"))?;
let mut transformer = estimator.transformer(1, instance_type)?
    .output_path(format!("s3://{bucket}/{prefix}/transform"));
transformer.transform(&test_uri, "text/csv", "Line")?;
transformer.wait()?;
let batch_dots = transformer.read_dot_products(&test_uri)?;
let same = count_equal(&batch_dots, &test_dots, 1e-4);
println!("{}: {} scores,", transformer.output_uri(&test_uri)?, batch_dots.len());
println!("{same} of them equal to the endpoint's");
""", "batch-transform"),
    md("""## Cleanup

`session.cleanup()` deletes every endpoint, endpoint config and model this session made;
`session.leftovers()` lists what an earlier kernel left (`session.delete_leftovers()` deletes it)."""),
    code("""
session.cleanup()?;
println!("{}", session.leftovers()?);
println!("Notebook cells ran in {:.1} s after loading the helpers", notebook_started.seconds());
""", "cleanup"),
]

if __name__ == "__main__":
    main(cells, "notebooks/ip-insights-tutorial.ipynb")
