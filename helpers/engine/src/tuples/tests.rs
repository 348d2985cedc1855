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
    let skipping = read(text, ReadOptions { skip_invalid: true, labelled: false }).unwrap();
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
    let options = ReadOptions { labelled: true, skip_invalid: false };
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
    write_tuples(&path, &tuples).unwrap();
    assert_eq!(read_tuples(&path, ReadOptions::default()).unwrap().tuples, tuples);
    let missing = read_tuples(&dir.path().join("nope.csv"), ReadOptions::default()).unwrap_err().to_string();
    assert!(missing.contains("nope.csv") && missing.starts_with("cannot read"), "{missing}");
}
