//! SageMaker-format training log lines (users grep and chart these; metric regexes key on them).

/// Per-batch metric lines: two `#quality_metric` lines and the `Epoch[..] Batch [..]` speedometer line.
pub fn batch_lines(
    host: &str,
    epoch: u32,
    batch: u64,
    samples_per_sec: f64,
    accuracy: f64,
    cross_entropy: f64,
) -> [String; 3] {
    [
        format!("#quality_metric: host={host}, epoch={epoch}, batch={batch} train binary_classification_accuracy <score>={accuracy:.4}"),
        format!("#quality_metric: host={host}, epoch={epoch}, batch={batch} train binary_classification_cross_entropy <loss>={cross_entropy:.4}"),
        format!(
            "Epoch[{epoch}] Batch [{batch}]\tSpeed: {samples_per_sec:.2} samples/sec\tbinary_classification_accuracy={accuracy:.6}\tbinary_classification_cross_entropy={cross_entropy:.6}"
        ),
    ]
}

/// End-of-epoch training metric lines.
pub fn epoch_lines(host: &str, epoch: u32, accuracy: f64, cross_entropy: f64) -> [String; 2] {
    [
        format!("#quality_metric: host={host}, epoch={epoch}, train binary_classification_accuracy <score>={accuracy:.4}"),
        format!("#quality_metric: host={host}, epoch={epoch}, train binary_classification_cross_entropy <loss>={cross_entropy:.4}"),
    ]
}

/// The validation AUC line.
pub fn validation_line(host: &str, epoch: u32, auc: f64) -> String {
    format!("#quality_metric: host={host}, epoch={epoch}, validation discriminator_auc <score>={auc:.4}")
}

/// The throughput line (records = positives + negatives).
pub fn throughput_line(host: &str, records_per_second: f64) -> String {
    format!("#throughput_metric: host={host}, train throughput={records_per_second:.2} records/second")
}

/// Our own line (SageMaker has none): shuffled negatives an epoch left out because their mini-batch held a single
/// entity row.
pub fn skipped_shuffled_line(host: &str, epoch: u32, skipped: u64) -> String {
    format!(
        "[warning] host={host}, epoch={epoch}: {skipped} shuffled negatives left out: their mini-batch held a single \
         entity, so no other entity's address was there to pair with"
    )
}

/// The progress line.
pub fn progress_line(host: &str, percent: u32) -> String {
    format!("#progress_metric: host={host}, completed {percent} %")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_match_sagemaker_format() {
        let [a, c, s] = batch_lines("algo-1", 0, 1000, 137475.28, 0.985863, 0.060678);
        assert_eq!(
            a,
            "#quality_metric: host=algo-1, epoch=0, batch=1000 train binary_classification_accuracy <score>=0.9859"
        );
        assert_eq!(
            c,
            "#quality_metric: host=algo-1, epoch=0, batch=1000 train binary_classification_cross_entropy <loss>=0.0607"
        );
        assert_eq!(
            s,
            "Epoch[0] Batch [1000]\tSpeed: 137475.28 samples/sec\tbinary_classification_accuracy=0.985863\tbinary_classification_cross_entropy=0.060678"
        );
        assert_eq!(
            validation_line("local", 2, 0.98991),
            "#quality_metric: host=local, epoch=2, validation discriminator_auc <score>=0.9899"
        );
        assert_eq!(
            throughput_line("local", 133782.944),
            "#throughput_metric: host=local, train throughput=133782.94 records/second"
        );
        assert_eq!(progress_line("local", 20), "#progress_metric: host=local, completed 20 %");
        assert_eq!(
            epoch_lines("local", 0, 0.97961, 0.1)[0],
            "#quality_metric: host=local, epoch=0, train binary_classification_accuracy <score>=0.9796"
        );
    }
}
