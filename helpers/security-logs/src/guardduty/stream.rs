//! A findings input read as a stream: one finding (or event) at a time, whatever the shape — NDJSON, a bare finding
//! or event, an array of them, GetFindings output `{"Findings": [...]}` — so memory follows the largest finding,
//! never the document.

use std::cell::Cell;
use std::fmt;
use std::io::{self, Read};
use std::ops::ControlFlow;
use std::rc::Rc;

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::{Map, Value};

use super::outcome::{findings_in_value, FindingResult};
use super::shape::kind;
use crate::input::InputTooLarge;

/// The most one finding or event (a top-level value, or one element of an array or of `Findings`) may take in the
/// input: 1 MiB. EventBridge events, GuardDuty findings included, are at most 256 KB; a larger one is refused with
/// an error naming the file and item, so a single value can never cost more than a few MiB once parsed.
pub const MAX_FINDING_BYTES: u64 = 1 << 20;

/// What [`stream_findings`] hands over, in input order.
#[derive(Debug)]
pub enum StreamEvent {
    /// The findings of one bare finding or event, or of one element of an array or of `Findings`, each with its
    /// tuples or skip reason; `Err` describes a value of an unknown shape or a finding with a field of the wrong type.
    Findings {
        /// 1-based index of the top-level JSON value (NDJSON line) it is in.
        item: usize,
        /// The findings, or what is wrong with the value.
        results: Result<Vec<FindingResult>, String>,
    },
    /// The end of top-level value `item`: every finding in it has been handed over.
    ValueEnd {
        /// 1-based index of the top-level JSON value.
        item: usize,
    },
}

/// Reads every JSON value of `reader` (one document or NDJSON), handing `each` the findings of one finding or event
/// at a time; `each` returns `Break` to stop reading (then `Ok`). Errors are serde_json's, with the line and column
/// of the whole input: invalid JSON, I/O (an [`InputTooLarge`] inside for a finding above [`MAX_FINDING_BYTES`]).
pub fn stream_findings<R: Read>(
    reader: R,
    each: &mut dyn FnMut(StreamEvent) -> ControlFlow<()>,
) -> Result<(), serde_json::Error> {
    let meter = Rc::new(Meter::default());
    let mut de = serde_json::Deserializer::from_reader(Metered { inner: reader, meter: meter.clone() });
    let mut stream = Stream { meter, each, item: 0, stopped: false };
    loop {
        let content_before = stream.meter.content.get();
        stream.item += 1;
        match TopLevel(&mut stream).deserialize(&mut de) {
            Ok(()) => {}
            Err(_) if stream.stopped => return Ok(()),
            // Nothing but whitespace before the end: the input is over.
            Err(e) if e.is_eof() && stream.meter.content.get() == content_before => return Ok(()),
            Err(e) => return Err(e),
        }
        if (stream.each)(StreamEvent::ValueEnd { item: stream.item }).is_break() {
            return Ok(());
        }
    }
}

/// What the reader has given, and the budget of the value being read.
#[derive(Default)]
struct Meter {
    /// Bytes given.
    position: Cell<u64>,
    /// Bytes given that are not JSON whitespace (tells the clean end of the input from a truncated value).
    content: Cell<u64>,
    /// While a finding is read: the position it may not pass, and its item.
    limit: Cell<Option<(u64, usize)>>,
}

impl Meter {
    fn limit_from_here(&self, bytes: u64, item: usize) {
        self.limit.set(Some((self.position.get() + bytes, item)));
    }
}

struct Metered<R> {
    inner: R,
    meter: Rc<Meter>,
}

impl<R: Read> Read for Metered<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        let content = buf[..n].iter().filter(|b| !matches!(b, b' ' | b'\n' | b'\r' | b'\t')).count();
        let meter = &self.meter;
        meter.position.set(meter.position.get() + n as u64);
        meter.content.set(meter.content.get() + content as u64);
        match meter.limit.get() {
            Some((end, item)) if meter.position.get() > end => {
                Err(io::Error::new(io::ErrorKind::InvalidData, InputTooLarge::Finding { item }))
            }
            _ => Ok(n),
        }
    }
}

/// The reading state the seeds share.
struct Stream<'f> {
    meter: Rc<Meter>,
    each: &'f mut dyn FnMut(StreamEvent) -> ControlFlow<()>,
    item: usize,
    stopped: bool,
}

impl Stream<'_> {
    fn emit<E: de::Error>(&mut self, results: Result<Vec<FindingResult>, String>) -> Result<(), E> {
        if (self.each)(StreamEvent::Findings { item: self.item, results }).is_break() {
            self.stopped = true;
            return Err(E::custom("stopped by the caller"));
        }
        Ok(())
    }

    /// The next element of an array, read under the finding budget.
    fn next_bounded<'de, A: SeqAccess<'de>>(&mut self, seq: &mut A) -> Result<Option<Value>, A::Error> {
        self.meter.limit_from_here(MAX_FINDING_BYTES, self.item);
        let element = seq.next_element::<Value>();
        self.meter.limit.set(None);
        element
    }
}

/// One top-level value.
struct TopLevel<'s, 'f>(&'s mut Stream<'f>);

impl<'de> DeserializeSeed<'de> for TopLevel<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

/// "expected a JSON object or array" for top-level scalars.
macro_rules! refuse_scalars {
    () => {
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<(), E> {
            self.refuse("a boolean")
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<(), E> {
            self.refuse("a number")
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<(), E> {
            self.refuse("a number")
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<(), E> {
            self.refuse("a number")
        }
        fn visit_str<E: de::Error>(self, _: &str) -> Result<(), E> {
            self.refuse("a string")
        }
        fn visit_unit<E: de::Error>(self) -> Result<(), E> {
            self.refuse("null")
        }
    };
}

impl TopLevel<'_, '_> {
    fn refuse<E: de::Error>(self, found: &str) -> Result<(), E> {
        self.0.emit(Err(format!("expected a JSON object or array, found {found}")))
    }
}

impl<'de> Visitor<'de> for TopLevel<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("GuardDuty findings")
    }

    refuse_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let stream = self.0;
        let mut index = 0;
        while let Some(element) = stream.next_bounded(&mut seq)? {
            let results = if element.is_object() {
                findings_in_value(element).map_err(|e| format!("array element {index}: {e}"))
            } else {
                Err(format!("array element {index}: expected an object, found {}", kind(&element)))
            };
            stream.emit(results)?;
            index += 1;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let stream = self.0;
        let start = stream.meter.position.get();
        // Bytes of a `Findings` array, which are not the object's own.
        let mut streamed = 0;
        let mut fields = Map::new();
        let mut findings_seen = false;
        loop {
            let budget_end = start + streamed + MAX_FINDING_BYTES;
            stream.meter.limit.set(Some((budget_end, stream.item)));
            let Some(key) = map.next_key::<String>()? else { break };
            if matches!(key.as_str(), "Findings" | "findings") && !findings_seen {
                findings_seen = true;
                stream.meter.limit.set(None);
                let before = stream.meter.position.get();
                map.next_value_seed(FindingsArray(&mut *stream))?;
                streamed += stream.meter.position.get() - before;
            } else if findings_seen {
                map.next_value::<IgnoredAny>()?;
            } else {
                fields.insert(key, map.next_value::<Value>()?);
            }
        }
        stream.meter.limit.set(None);
        if findings_seen {
            return Ok(());
        }
        let results = findings_in_value(Value::Object(fields));
        stream.emit(results)
    }
}

/// The value of GetFindings output's `Findings`: an array streamed element by element.
struct FindingsArray<'s, 'f>(&'s mut Stream<'f>);

impl<'de> DeserializeSeed<'de> for FindingsArray<'_, '_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, de: D) -> Result<(), D::Error> {
        de.deserialize_any(self)
    }
}

impl FindingsArray<'_, '_> {
    fn refuse<E: de::Error>(self, found: &str) -> Result<(), E> {
        self.0.emit(Err(format!("`Findings` is {found}, expected an array")))
    }
}

impl<'de> Visitor<'de> for FindingsArray<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of GuardDuty findings")
    }

    refuse_scalars!();

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let stream = self.0;
        while let Some(element) = stream.next_bounded(&mut seq)? {
            let results = findings_in_value(element);
            stream.emit(results)?;
        }
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        self.refuse("an object")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(text: &str) -> Result<Vec<String>, serde_json::Error> {
        let mut out = Vec::new();
        stream_findings(text.as_bytes(), &mut |event| {
            out.push(match event {
                StreamEvent::Findings { item, results: Ok(r) } => format!("{item}: {} findings", r.len()),
                StreamEvent::Findings { item, results: Err(e) } => format!("{item}: {e}"),
                StreamEvent::ValueEnd { item } => format!("{item}: end"),
            });
            ControlFlow::Continue(())
        })?;
        Ok(out)
    }

    #[test]
    fn every_shape_one_finding_at_a_time() {
        let text = r#"{"Findings": [{"Id": "a"}, {"Id": "b"}], "NextToken": "x"}
            [{"id": "c"}, 3]
            {"source": "aws.ec2", "detail-type": "x", "detail": {}}
            "text"
        "#;
        assert_eq!(
            events(text).unwrap(),
            [
                "1: 1 findings",
                "1: 1 findings",
                "1: end",
                "2: 1 findings",
                "2: array element 1: expected an object, found a number",
                "2: end",
                "3: 1 findings",
                "3: end",
                "4: expected a JSON object or array, found a string",
                "4: end",
            ]
        );
        assert_eq!(events("").unwrap(), Vec::<String>::new());
        assert_eq!(events(" \n ").unwrap(), Vec::<String>::new());
        assert!(events("{\"id\": ").unwrap_err().is_eof(), "a truncated value is an error, not the end");
        let bad = events("{}\n{\"id\": 1,,}").unwrap_err();
        assert_eq!(bad.line(), 2, "lines count across values: {bad}");
    }

    #[test]
    fn a_finding_above_the_limit_is_refused_with_its_item() {
        let big = format!("{{\"id\": \"a\"}}\n[{{\"id\": \"{}\"}}]", "x".repeat(MAX_FINDING_BYTES as usize));
        let err = io::Error::from(events(&big).unwrap_err());
        assert_eq!(InputTooLarge::in_io_error(&err), Some(&InputTooLarge::Finding { item: 2 }));
        let object = format!("{{\"id\": \"{}\"}}", "x".repeat(MAX_FINDING_BYTES as usize));
        assert!(events(&object).is_err());
        let under = format!("{{\"Findings\": [{{\"id\": \"{}\"}}, {{\"id\": \"b\"}}]}}", "x".repeat(1000));
        assert_eq!(events(&under).unwrap().len(), 3);
    }
}
