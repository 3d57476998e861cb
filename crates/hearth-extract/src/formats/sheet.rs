//! Spreadsheets (a section per sheet, headed by its name) and CSV. A row under a header row reads
//! `Header: value; Header: value`, so a passage about one row still says what its values mean.

use std::io::Cursor;

use calamine::{Data, Reader};
use hearth_core::seams::ExtractedDocument;

use crate::builder::Sections;
use crate::zipsafe::SafeZip;
use crate::{ExtractError, Limits};

/// XLSX, XLSM, XLSB, XLS or ODS.
pub(super) fn workbook(data: &[u8], limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    if data.starts_with(b"PK") {
        // Refuse zip bombs before the workbook reader unpacks anything.
        SafeZip::open(data, limits, "workbook")?;
    }
    let mut workbook = calamine::open_workbook_auto_from_rs(Cursor::new(data))
        .map_err(|e| ExtractError::Invalid(format!("the workbook cannot be read: {e}")))?;
    let mut sections = Sections::new(limits.max_chars);
    for name in workbook.sheet_names() {
        let range = workbook
            .worksheet_range(&name)
            .map_err(|e| ExtractError::Invalid(format!("sheet `{name}` cannot be read: {e}")))?;
        let rows = range.rows().map(|row| {
            row.iter()
                .map(|cell| match cell {
                    Data::Empty => String::new(),
                    other => other.to_string(),
                })
                .collect::<Vec<_>>()
        });
        sections.push(&table_text(rows), None, Some(&name))?;
    }
    Ok(sections.finish())
}

/// Comma-separated values, with or without a header row.
pub(super) fn csv(text: &str, limits: &Limits) -> Result<ExtractedDocument, ExtractError> {
    let mut reader = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut rows = Vec::new();
    let mut chars = 0;
    for record in reader.records() {
        let record = record.map_err(|e| ExtractError::Invalid(format!("bad CSV: {e}")))?;
        let row: Vec<String> = record.iter().map(str::to_owned).collect();
        chars += row.iter().map(String::len).sum::<usize>();
        if chars > limits.max_chars {
            return Err(ExtractError::Limit(format!(
                "the document has more than {} characters of text",
                limits.max_chars
            )));
        }
        rows.push(row);
    }
    let mut sections = Sections::new(limits.max_chars.saturating_mul(2));
    sections.push(&table_text(rows.into_iter()), None, None)?;
    Ok(sections.finish())
}

/// Rows as lines; when the first row looks like a header (all text, all filled), later rows name
/// their columns.
fn table_text(mut rows: impl Iterator<Item = Vec<String>>) -> String {
    let Some(first) = rows.next() else {
        return String::new();
    };
    let is_header = first.iter().all(|c| {
        let c = c.trim();
        !c.is_empty() && c.parse::<f64>().is_err()
    });
    let mut text = String::new();
    let line = |row: &[String]| -> String {
        row.iter()
            .map(|c| c.trim())
            .filter(|c| !c.is_empty())
            .collect::<Vec<_>>()
            .join(" | ")
    };
    text.push_str(&line(&first));
    text.push('\n');
    for row in rows {
        let cells: Vec<String> = if is_header {
            row.iter()
                .enumerate()
                .filter(|(_, v)| !v.trim().is_empty())
                .map(|(i, v)| match first.get(i) {
                    Some(h) => format!("{}: {}", h.trim(), v.trim()),
                    None => v.trim().to_owned(),
                })
                .collect()
        } else {
            row
        };
        let joined = if is_header {
            cells.join("; ")
        } else {
            line(&cells)
        };
        if !joined.is_empty() {
            text.push_str(&joined);
            text.push('\n');
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_under_a_header_name_their_columns() {
        let doc = csv("Item,Location\nlamp,shed\n3,\n", &Limits::default()).unwrap();
        assert_eq!(
            doc.sections[0].text,
            "Item | Location\nItem: lamp; Location: shed\nItem: 3"
        );
        let doc = csv("1,2\n3,4\n", &Limits::default()).unwrap();
        assert_eq!(doc.sections[0].text, "1 | 2\n3 | 4");
    }
}
