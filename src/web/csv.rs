//! Tables as CSV downloads (RFC 4180, every field quoted), for the dashboards' "Export CSV"
//! links and the audit API. A cell a spreadsheet would run as a formula (`=`, `+`, `-`, `@`) is
//! prefixed with a quote mark: a rig id or a crew's note must never execute on a manager's PC.

use actix_web::HttpResponse;

/// One field, quoted and disarmed.
fn cell(text: &str) -> String {
    let text = if text.starts_with(['=', '+', '-', '@']) {
        format!("'{text}")
    } else {
        text.to_owned()
    };
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// A header line and rows, CRLF-terminated.
pub fn table<R: AsRef<[String]>>(header: &[&str], rows: impl IntoIterator<Item = R>) -> String {
    let mut out = header.join(",");
    out.push_str("\r\n");
    for row in rows {
        let cells: Vec<String> = row.as_ref().iter().map(|c| cell(c)).collect();
        out.push_str(&cells.join(","));
        out.push_str("\r\n");
    }
    out
}

/// A 200 download of `body` named `filename` (letters, digits, `-`, `_`, `.` only).
pub fn download(filename: &str, body: String) -> HttpResponse {
    let safe: String = filename
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || "-_.".contains(*c))
        .collect();
    HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"{safe}\""),
        ))
        .body(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_are_quoted_and_formulas_disarmed() {
        let rows = vec![vec![
            "RIG-A".to_owned(),
            "=HYPERLINK(\"x\")".to_owned(),
            "say \"hi\", then go".to_owned(),
            "-3".to_owned(),
        ]];
        assert_eq!(
            table(&["rig", "a", "b", "c"], rows),
            "rig,a,b,c\r\n\"RIG-A\",\"'=HYPERLINK(\"\"x\"\")\",\"say \"\"hi\"\", then go\",\"'-3\"\r\n"
        );
    }
}
