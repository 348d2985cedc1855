use super::*;

fn read(text: &str, options: ReadOptions) -> Result<TupleFile, TupleError> {
    parse_tuples(text.as_bytes(), "t.csv", options)
}

#[test]
fn reads_headerless_and_header_files_with_spaces_and_extra_columns() {
    let file =
        read("alice,1.2.3.4\nbob, 2001:db8::1,extra,columns\n\"c,d\",10.0.0.1\n", ReadOptions::default()).unwrap();
    let entities: Vec<_> = file.tuples.iter().map(|t| t.entity.as_str()).collect();
    assert_eq!(entities, vec!["alice", "bob", "c,d"]);
    assert!(file.tuples[1].ip.is_ipv6());
    let with_header = read("entity,ip,whatever\nalice,1.2.3.4\n", ReadOptions::default()).unwrap();
    assert_eq!(with_header.tuples.len(), 1, "the header is not a data row");
    // A first data row is never mistaken for a header.
    assert_eq!(read("user_1,1.1.1.1\n", ReadOptions::default()).unwrap().tuples.len(), 1);
}

#[test]
fn bad_rows_name_file_line_and_reason() {
    let text = "alice,1.2.3.4\nbob\ncarol,not-an-ip\n,1.1.1.1\n";
    let message = read(text, ReadOptions::default()).unwrap_err().to_string();
    assert_eq!(message, "t.csv:2: missing ip field (row has 1 field(s)) (use --skip-invalid to skip bad rows)");
    let skipping = read(text, ReadOptions { skip_invalid: true, ..Default::default() }).unwrap();
    assert_eq!(skipping.tuples.len(), 1);
    assert_eq!(skipping.skipped.count, 3);
    let lines: Vec<u64> = skipping.skipped.examples.iter().map(|e| e.line).collect();
    assert_eq!(lines, vec![2, 3, 4]);
    assert!(skipping.skipped.examples[1].reason.contains("invalid IP address \"not-an-ip\""));
    assert!(skipping.skipped.examples[2].reason.contains("empty entity"));
    assert!(skipping.skipped.to_string().starts_with("skipped 3 invalid rows\n  t.csv:2:"));
}

#[test]
fn labelled_files_find_the_label_column() {
    let options = ReadOptions { labelled: true, ..Default::default() };
    let file = read("entity,ip,label\nu,1.1.1.1,0\nv,2.2.2.2,1\n", options).unwrap();
    assert_eq!(file.labels.unwrap(), vec![false, true]);
    let moved = read("label,entity,ip\n", options).unwrap_err().to_string();
    assert!(
        moved.contains("t.csv:1: invalid IP address \"entity\""),
        "a header not starting with entity,ip is data: {moved}"
    );
    let file = read("entity,ip,score,label\nu,1.1.1.1,3.5,1\n", options).unwrap();
    assert_eq!(file.labels.unwrap(), vec![true]);
    let message = read("u,1.1.1.1,maybe\n", options).unwrap_err().to_string();
    assert!(message.contains("t.csv:1: label \"maybe\" is not 0 or 1"), "{message}");
    assert!(read("u,1.1.1.1\n", options).unwrap_err().to_string().contains("missing label field"));
}

#[test]
fn invalid_utf8_is_an_error_not_a_panic() {
    let bytes = b"ok,1.1.1.1\n\xff\xfe,2.2.2.2\n";
    let message = parse_tuples(&bytes[..], "b.csv", ReadOptions::default()).unwrap_err().to_string();
    assert!(message.starts_with("b.csv:2:"), "{message}");
}

#[test]
fn writes_round_trip_atomically() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("out.csv");
    let tuples = vec![Tuple::new("a,b", "1.2.3.4".parse().unwrap()), Tuple::new("c", "::1".parse().unwrap())];
    assert_eq!(write_tuples(&path, &tuples).unwrap(), 2);
    assert_eq!(read_tuples(&path, ReadOptions::default()).unwrap().tuples, tuples);
    let missing = read_tuples(&dir.path().join("nope.csv"), ReadOptions::default()).unwrap_err().to_string();
    assert!(missing.contains("nope.csv") && missing.starts_with("cannot read"), "{missing}");
}

#[test]
fn the_entity_rule_trims_all_whitespace_and_counts_blank_entities() {
    // ASCII spaces, a tab, a no-break space and an ideographic space around entities: all part of no entity.
    let text = " alice,1.2.3.4\n\talice ,1.2.3.4\n\u{a0}alice\u{3000},1.2.3.4\n\"  bob  \",10.0.0.1\n";
    let file = read(text, ReadOptions::default()).unwrap();
    let entities: Vec<_> = file.tuples.iter().map(|t| t.entity.as_str()).collect();
    assert_eq!(entities, vec!["alice", "alice", "alice", "bob"]);
    assert!(file.tuples.iter().all(|t| normalize_entity(&t.entity) == t.entity));

    // Entities that are only whitespace are invalid: an error naming the line, or a counted skip with the reason.
    let blank = "alice,1.1.1.1\n   ,2.2.2.2\n\u{a0}\u{3000},3.3.3.3\n";
    let message = read(blank, ReadOptions::default()).unwrap_err().to_string();
    assert!(message.starts_with("t.csv:2: empty entity field"), "{message}");
    let skipping = read(blank, ReadOptions { skip_invalid: true, ..Default::default() }).unwrap();
    assert_eq!(skipping.tuples.len(), 1);
    assert_eq!(skipping.skipped.count, 2);
    let reasons: Vec<_> = skipping.skipped.examples.iter().map(|e| (e.line, e.reason.as_str())).collect();
    assert_eq!(reasons, vec![(2, "empty entity field"), (3, "entity field is only whitespace")]);
}

#[test]
fn normalize_entity_is_a_trim() {
    assert_eq!(normalize_entity(" alice "), "alice");
    assert_eq!(normalize_entity("a b"), "a b", "inner whitespace is part of the entity");
    assert_eq!(normalize_entity("\u{2003}\n"), "");
    assert_eq!(normalize_entity("\u{feff}alice\u{feff} "), "alice");
    assert_eq!(normalize_entity("al\u{feff}ice"), "al\u{feff}ice");
}

#[test]
fn a_byte_order_mark_is_not_part_of_an_entity_on_any_line() {
    // The CSV reader drops a byte-order mark at the start of the input; one left inside by concatenating two files
    // that each start with one must not make a different principal either.
    let text = "\u{feff}alice,1.1.1.1\n\u{feff}alice,2.2.2.2\n";
    let file = read(text, ReadOptions::default()).unwrap();
    assert_eq!(file.tuples.iter().map(|t| t.entity.as_str()).collect::<Vec<_>>(), ["alice", "alice"]);
}

#[test]
fn the_row_writer_quotes_and_counts() {
    let tuples = [Tuple::new("a,b", "1.2.3.4".parse().unwrap()), Tuple::new("say \"hi\"", "::1".parse().unwrap())];
    let mut out = Vec::new();
    assert_eq!(write_rows(&mut out, &tuples).unwrap(), 2);
    assert_eq!(String::from_utf8(out).unwrap(), "\"a,b\",1.2.3.4\n\"say \"\"hi\"\"\",::1\n");
    let mut empty = Vec::new();
    assert_eq!(write_rows(&mut empty, &[]).unwrap(), 0);
    assert!(empty.is_empty());
}

#[test]
fn labelled_files_round_trip_and_refuse_mismatched_labels() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("test.csv");
    let tuples = vec![Tuple::new("u", "1.1.1.1".parse().unwrap()), Tuple::new("v", "2.2.2.2".parse().unwrap())];
    assert_eq!(write_labelled(&path, &tuples, &[false, true]).unwrap(), 2);
    assert_eq!(std::fs::read_to_string(&path).unwrap(), "entity,ip,label\nu,1.1.1.1,0\nv,2.2.2.2,1\n");
    let back = read_tuples(&path, ReadOptions { labelled: true, ..Default::default() }).unwrap();
    assert_eq!((back.tuples, back.labels.unwrap()), (tuples.clone(), vec![false, true]));

    let other = dir.path().join("other.csv");
    let message = write_labelled(&other, &tuples, &[true]).unwrap_err().to_string();
    assert_eq!(message, format!("cannot write {}: 2 tuples but 1 labels", other.display()));
    assert!(!other.exists(), "nothing is written");
}

#[test]
fn write_errors_name_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("missing-dir/out.csv");
    let message = write_tuples(&path, &[Tuple::new("a", "1.1.1.1".parse().unwrap())]).unwrap_err().to_string();
    assert!(message.starts_with(&format!("cannot write {}: ", path.display())), "{message}");
}

#[test]
fn ipv4_only_reading_refuses_ipv6_rows_like_sagemaker() {
    let text = "alice,1.2.3.4\nbob,::ffff:10.0.0.1\ncarol,2600:1f18::7\n";
    assert_eq!(read(text, ReadOptions::default()).unwrap().tuples.len(), 3, "the engine reads both families");
    let strict = ReadOptions { ipv4_only: true, ..Default::default() };
    let message = read(text, strict).unwrap_err().to_string();
    assert!(
        message.starts_with(
            "t.csv:2: IPv6 address ::ffff:10.0.0.1: SageMaker's IP Insights takes IPv4 addresses only (decimal-dot notation)"
        ),
        "{message}"
    );
    // SageMaker reads text: an IPv4-mapped address in IPv6 notation is refused too.
    let skipping = read(text, ReadOptions { skip_invalid: true, ..strict }).unwrap();
    assert_eq!((skipping.tuples.len(), skipping.skipped.count), (1, 2));
    assert!(skipping.skipped.examples[0].reason.starts_with("IPv6 address ::ffff:10.0.0.1"), "{:?}", skipping.skipped);
}

#[test]
fn ipv6_rows_are_found_as_training_reads_rows() {
    let text = "\u{feff}entity,ip\nalice,1.2.3.4\n\"c,d\",2600:1f18::7\n\n\"multi\nline, entity\",::ffff:10.0.0.2\r\nbob, 2001:db8::1 ,extra\n\"say \"\"hi\"\", x\",10.0.0.1\ndave,5.6.7.8";
    let found = ipv6_rows(text.as_bytes(), "t.csv").unwrap();
    let spans: Vec<&str> = found.spans.iter().map(|r| &text[r.start as usize..r.end as usize]).collect();
    assert_eq!(
        spans,
        ["\"c,d\",2600:1f18::7\n\n", "\"multi\nline, entity\",::ffff:10.0.0.2\r\n", "bob, 2001:db8::1 ,extra\n"],
        "whole rows, a quoted line break inside one, a blank line after one with it"
    );
    assert_eq!((found.rows, found.first_line), (6, Some(3)), "the header is not a row");
    assert_eq!(found.spans.len(), 3);
    // What is left is what training reads with ipv4_only, without a bad row.
    let mut kept = String::new();
    let mut at = 0;
    for span in &found.spans {
        kept.push_str(&text[at..span.start as usize]);
        at = span.end as usize;
    }
    kept.push_str(&text[at..]);
    let options = ReadOptions { ipv4_only: true, ..ReadOptions::default() };
    let read = parse_tuples(kept.as_bytes(), "kept.csv", options).unwrap();
    let entities: Vec<&str> = read.tuples.iter().map(|t| t.entity.as_str()).collect();
    assert_eq!(entities, ["alice", "say \"hi\", x", "dave"]);
    let none = ipv6_rows("alice,1.2.3.4\n\"unterminated,2001:db8::1\n".as_bytes(), "t.csv").unwrap();
    assert_eq!((none.spans.len(), none.rows), (0, 2), "an unterminated quote runs to the end, as in training");
}

#[test]
fn bad_rows_name_their_own_line_after_crlf_blank_lines_and_quoted_line_breaks() {
    for (text, line) in [
        ("alice,1.2.3.4\r\nbob,notanip\r\n", 2),
        ("alice,1.2.3.4\n\n\r\n\nbob,notanip\n", 5),
        ("\"multi\nline\",1.2.3.4\n\nbob,notanip", 4),
        ("alice,1.2.3.4\rbob,notanip", 1),
    ] {
        let error = read(text, ReadOptions::default()).unwrap_err().to_string();
        assert!(error.starts_with(&format!("t.csv:{line}: invalid IP address \"notanip\"")), "{text:?}: {error}");
    }
}

/// Hands out its bytes a few at a time, so runs of line terminators straddle reads.
struct Trickle<'a>(&'a [u8], usize);

impl std::io::Read for Trickle<'_> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.1.min(self.0.len()).min(buf.len());
        buf[..n].copy_from_slice(&self.0[..n]);
        self.0 = &self.0[n..];
        Ok(n)
    }
}

#[test]
fn row_starts_do_not_depend_on_how_the_input_is_read() {
    let text = "alice,1.2.3.4\r\n\r\n\"multi\r\nline\",2001:db8::1\r\n\n\nbob,2600::1\ncarol,notanip\r\n";
    let whole = ipv6_rows(text.as_bytes(), "t.csv").unwrap();
    assert_eq!(whole.spans.len(), 2);
    for chunk in [1, 2, 3, 5, 1 << 20] {
        assert_eq!(ipv6_rows(Trickle(text.as_bytes(), chunk), "t.csv").unwrap(), whole, "{chunk}-byte reads");
        let error = parse_tuples(Trickle(text.as_bytes(), chunk), "t.csv", ReadOptions::default()).unwrap_err();
        assert!(error.to_string().starts_with("t.csv:8: invalid IP address \"notanip\""), "{chunk}: {error}");
    }
}
