//! Small tables for notebook cells (HTML in notebooks, aligned text elsewhere), like pandas' `head()`.

use std::fmt;

/// A table of strings with column names.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Table {
    /// Column names.
    pub columns: Vec<String>,
    /// Rows of cells.
    pub rows: Vec<Vec<String>>,
    /// A note under the table (e.g. "10 of 30,000 rows").
    pub note: Option<String>,
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

impl Table {
    /// A table with these columns and no rows.
    pub fn new<S: Into<String>>(columns: impl IntoIterator<Item = S>) -> Self {
        Table { columns: columns.into_iter().map(Into::into).collect(), ..Default::default() }
    }

    /// Adds a row.
    pub fn push<S: ToString>(&mut self, cells: impl IntoIterator<Item = S>) {
        self.rows.push(cells.into_iter().map(|c| c.to_string()).collect());
    }

    /// The table as an HTML fragment.
    pub fn to_html(&self) -> String {
        let mut html = String::from("<table><thead><tr><th></th>");
        for c in &self.columns {
            html.push_str(&format!("<th>{}</th>", escape(c)));
        }
        html.push_str("</tr></thead><tbody>");
        for (i, row) in self.rows.iter().enumerate() {
            html.push_str(&format!("<tr><th>{i}</th>"));
            for cell in row {
                html.push_str(&format!("<td>{}</td>", escape(cell)));
            }
            html.push_str("</tr>");
        }
        html.push_str("</tbody></table>");
        if let Some(note) = &self.note {
            html.push_str(&format!("<p>{}</p>", escape(note)));
        }
        html
    }

    /// Shows the table in an evcxr notebook cell (HTML, with the text form as the plain-text fallback).
    pub fn evcxr_display(&self) {
        println!("EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT", self.to_html());
    }
}

impl fmt::Display for Table {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut widths: Vec<usize> = self.columns.iter().map(|c| c.chars().count()).collect();
        for row in &self.rows {
            for (w, cell) in widths.iter_mut().zip(row) {
                *w = (*w).max(cell.chars().count());
            }
        }
        let line = |cells: &[String]| -> String {
            cells.iter().zip(&widths).map(|(c, w)| format!("{c:>w$}")).collect::<Vec<_>>().join("  ")
        };
        writeln!(f, "{}", line(&self.columns))?;
        for row in &self.rows {
            writeln!(f, "{}", line(row))?;
        }
        if let Some(note) = &self.note {
            writeln!(f, "{note}")?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_html_and_text() {
        let mut t = Table::new(["entity", "ip"]);
        t.push(["<alice>", "1.2.3.4"]);
        t.note = Some("1 of 1 rows".into());
        let html = t.to_html();
        assert!(html.contains("<td>&lt;alice&gt;</td>"));
        assert!(html.contains("<th>0</th>"));
        assert_eq!(t.to_string(), " entity       ip\n<alice>  1.2.3.4\n1 of 1 rows\n");
    }
}
