//! File downloads: CSV or XLSX exports with a download name.

use poem::{IntoResponse, Response, http::header};
use poem_openapi::{
    ApiResponse, Enum,
    registry::{MetaMediaType, MetaResponse, MetaResponses, MetaSchema, MetaSchemaRef, Registry},
};

/// Export file format.
#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "snake_case")]
pub enum ExportFormat {
    Csv,
    Xlsx,
}

impl From<ExportFormat> for crate::services::spreadsheet::Kind {
    fn from(format: ExportFormat) -> Self {
        match format {
            ExportFormat::Csv => Self::Csv,
            ExportFormat::Xlsx => Self::Xlsx,
        }
    }
}

impl From<crate::services::spreadsheet::FileStream> for poem::Body {
    fn from(file: crate::services::spreadsheet::FileStream) -> Self {
        poem::Body::from_bytes_stream(file.into_stream())
    }
}

const CSV_TYPE: &str = "text/csv; charset=utf-8";
const XLSX_TYPE: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// An exported file, offered as a download named `{name}.csv` or `{name}.xlsx`.
pub struct ExportFile {
    /// The file: bytes made whole, or a stream written as its rows are read.
    pub body: poem::Body,
    pub format: ExportFormat,
    pub name: String,
}

impl IntoResponse for ExportFile {
    fn into_response(self) -> Response {
        let (content_type, extension) = match self.format {
            ExportFormat::Csv => (CSV_TYPE, "csv"),
            ExportFormat::Xlsx => (XLSX_TYPE, "xlsx"),
        };
        let name = format!("{}.{extension}", self.name);
        Response::builder()
            .content_type(content_type)
            .header(
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            )
            .body(self.body)
    }
}

impl ApiResponse for ExportFile {
    fn meta() -> MetaResponses {
        let binary =
            || MetaSchemaRef::Inline(Box::new(MetaSchema::new_with_format("string", "binary")));
        MetaResponses {
            responses: vec![MetaResponse {
                description: "A CSV (UTF-8 with BOM) or XLSX download",
                status: Some(200),
                status_range: None,
                content: vec![
                    MetaMediaType {
                        content_type: CSV_TYPE,
                        schema: binary(),
                    },
                    MetaMediaType {
                        content_type: XLSX_TYPE,
                        schema: binary(),
                    },
                ],
                headers: vec![],
            }],
        }
    }

    fn register(_registry: &mut Registry) {}
}
