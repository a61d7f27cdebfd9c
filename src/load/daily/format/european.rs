//! Files saved by a spreadsheet in a German, French or other European locale: `;` between
//! fields, decimal commas with dots between thousands (`1.234,56`), day-first dates
//! (`31.12.2018`, or `31/12/2018` when the file's own dates make the order certain), often a
//! BOM and CRLF. Columns by name, as for a Yahoo-style header (German and French names too).
//! The same file saved the US way reads to the same values.

use super::{Head, Layout, Source};
use crate::load::daily::header::{Field, Header, HeaderError};
use crate::load::values::{Dates, day_month_year};

/// The layout of a `;`-separated file (the caller saw the `;` in its first line).
pub fn detect(head: &Head) -> Result<Layout, HeaderError> {
    let mut header = Header::map(head[0].clone()).map_err(|e| match e {
        HeaderError::Missing { .. } => HeaderError::NoFormat(Box::new(e)),
        other => other,
    })?;
    let rows = &head[1..];
    let columns = header.clone();
    let values = |field: Field| {
        let column = columns.column(field);
        rows.iter()
            .filter_map(move |row| row.get(column?))
            .map(String::as_str)
    };
    // A comma in a price says decimal comma; a point with no comma anywhere says decimal
    // point (some tools write `;` with `10.5`); integers only: either reads the same.
    let prices = || {
        [Field::Open, Field::High, Field::Low, Field::Close]
            .into_iter()
            .flat_map(values)
    };
    header.decimal_comma = prices().any(|v| v.contains(',')) || !prices().any(|v| v.contains('.'));
    let (dates, ambiguous) = order_of(values(Field::Date));
    header.dates = dates;
    Ok(Layout {
        ambiguous_dates: ambiguous,
        ..Layout::new(Source::European, header, 1)
    })
}

/// How the dates are written, from the values of the first rows: dotted dates are day first
/// everywhere; with slashes, a first number over 12 says day first and a second over 12 says
/// month first. Without either, the order is unknown: the example value comes back.
fn order_of<'a>(dates: impl Iterator<Item = &'a str>) -> (Dates, Option<String>) {
    let mut slashed = None;
    for value in dates {
        if value.contains('.') {
            return (Dates::DayFirst, None);
        }
        let Some((first, second, _)) = day_month_year(value) else {
            continue;
        };
        if first > 12 {
            return (Dates::DayFirst, None);
        }
        if second > 12 {
            return (Dates::IsoOrUs, None);
        }
        slashed.get_or_insert_with(|| value.to_string());
    }
    match slashed {
        Some(example) => (Dates::DayFirst, Some(example)),
        None => (Dates::IsoOrUs, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dates_tell_their_order() {
        let order = |values: &[&str]| order_of(values.iter().copied());
        assert_eq!(order(&["01.03.2023"]), (Dates::DayFirst, None));
        assert_eq!(
            order(&["01/03/2023", "13/03/2023"]),
            (Dates::DayFirst, None)
        );
        assert_eq!(order(&["03/01/2023", "03/13/2023"]), (Dates::IsoOrUs, None));
        assert_eq!(order(&["2023-03-01"]), (Dates::IsoOrUs, None));
        assert_eq!(
            order(&["01/03/2023", "02/03/2023"]),
            (Dates::DayFirst, Some("01/03/2023".to_string()))
        );
    }
}
