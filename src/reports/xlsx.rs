//! Reports as XLSX workbooks, written by rust_xlsxwriter: numbers are numeric cells at full
//! precision with a display format that rounds sensibly, dates are dates, text is always a
//! string cell (never a formula), headers and codes are in words.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook, XlsxError};

use super::sheets::{Cell, Sheet};
use crate::error::AppError;

pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Does the client prefer XLSX? (see [`super::format`])
pub fn wants_xlsx(req: &HttpRequest) -> bool {
    super::format(req) == super::Format::Xlsx
}

/// The workbook's bytes: one worksheet per sheet, the header row bold and frozen.
pub fn workbook(sheets: &[Sheet]) -> Result<Vec<u8>, AppError> {
    build(sheets).map_err(|e| AppError::internal(anyhow::anyhow!("xlsx: {e}")))
}

fn build(sheets: &[Sheet]) -> Result<Vec<u8>, XlsxError> {
    let bold = Format::new().set_bold();
    let int = Format::new().set_num_format("#,##0");
    let dec1 = Format::new().set_num_format("#,##0.0");
    let dec2 = Format::new().set_num_format("#,##0.00");
    let fraction = Format::new().set_num_format("0.0%");
    // A percentage already multiplied by 100: shown with two decimals and a sign.
    let percent = Format::new().set_num_format("0.00\" %\"");
    let money = Format::new().set_num_format("\"Rp \"#,##0");
    let date = Format::new().set_num_format("d mmm yyyy");
    let mut wb = Workbook::new();
    for sheet in sheets {
        let ws = wb.add_worksheet();
        ws.set_name(&sheet.name)?;
        for (c, title) in sheet.columns.iter().enumerate() {
            ws.write_string_with_format(0, col(c), title, &bold)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
            for (c, cell) in row.iter().enumerate() {
                let c = col(c);
                match cell {
                    Cell::Int(v) => ws.write_number_with_format(r, c, *v as f64, &int)?,
                    Cell::Dec(v, 1) => ws.write_number_with_format(r, c, *v, &dec1)?,
                    Cell::Dec(v, _) => ws.write_number_with_format(r, c, *v, &dec2)?,
                    Cell::Fraction(v) => ws.write_number_with_format(r, c, *v, &fraction)?,
                    Cell::Percent(v) => ws.write_number_with_format(r, c, *v, &percent)?,
                    Cell::Money(v) => ws.write_number_with_format(r, c, *v, &money)?,
                    Cell::Date(d) => {
                        use chrono::Datelike;
                        let value = ExcelDateTime::from_ymd(
                            u16::try_from(d.year()).unwrap_or(1900),
                            d.month() as u8,
                            d.day() as u8,
                        )?;
                        ws.write_datetime_with_format(r, c, &value, &date)?
                    }
                    Cell::Text(s) => ws.write_string(r, c, s)?,
                    Cell::Empty => ws,
                };
            }
        }
        ws.set_freeze_panes(1, 0)?;
        ws.autofit();
    }
    wb.save_to_buffer()
}

fn col(c: usize) -> u16 {
    u16::try_from(c).unwrap_or(u16::MAX)
}

/// The answer carrying a workbook, `filename` naming the download.
pub fn respond(sheets: &[Sheet], filename: &str) -> Result<HttpResponse, AppError> {
    let bytes = workbook(sheets)?;
    Ok(HttpResponse::Ok()
        .content_type(XLSX)
        .insert_header((
            header::CONTENT_DISPOSITION,
            format!("attachment; filename=\"{filename}.xlsx\""),
        ))
        .body(bytes))
}
