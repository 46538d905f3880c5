//! Bulk files of people: `POST /people/import` (CSV or XLSX) and its template
//! `GET /people/import/template?format=csv|xlsx`, `DELETE /imports/{id}`, and
//! `GET /people/export?format=csv|xlsx`.

use poem_openapi::{
    ApiRequest, ApiResponse, Object, OpenApi,
    param::{Path, Query},
    payload::Binary,
};

use super::{
    ApiTags,
    auth::BearerAuth,
    files::{ExportFile, ExportFormat},
    people::NoContent,
};
use crate::{
    app::AppState,
    domain::careers::RegistrationStanding,
    domain::person::{Grade, PersonStatus, QualificationKind},
    error::AppError,
    services::{
        import::{self, FileFormat, ImportOptions, ImportReport as Report},
        people::PersonFilter,
        people_export::{self, Format},
    },
};

pub struct PeopleFilesApi {
    state: AppState,
}

impl PeopleFilesApi {
    pub fn new(state: &AppState) -> Self {
        Self {
            state: state.clone(),
        }
    }
}

/// A file of people, CSV or XLSX, with a header row naming the columns of DOMAIN.md section 8
/// (`name,gender,birth_date,id_number,phone,email,street_code,community_code,role,grade,
/// employment,certificate_no,certified_on,specialties`, or their Chinese headers `姓名,性别,
/// 出生日期,身份证号码,手机号码,电子邮箱,街道代码,社区代码,类别,等级,用工形式,证书编号,发证日期,专长`,
/// each column in either form); enum values in Chinese or English, dates as `2024-03-05`,
/// `2024/3/5` or `2024年3月5日`. Up to 20 MiB.
///
/// CSV (`text/csv` or `text/plain`): UTF-8 with or without BOM, the header on line 1.
///
/// XLSX (`application/vnd.openxmlformats-officedocument.spreadsheetml.sheet`): the first sheet,
/// the header its first row with a value, lines numbered as Excel numbers rows. Date cells are
/// read as days, number cells as their digits, formulas by their saved result; an error cell
/// (`#N/A`) refuses its row, and so does an ID number stored as a number (Excel keeps 15
/// significant digits: format the column as text). At most 100,000 rows of people and 50
/// columns (A to AX); a larger sheet is refused whole (400 naming `body`).
///
/// `application/octet-stream`: XLSX when the body is a ZIP archive (it starts with `PK`), CSV
/// otherwise.
#[derive(ApiRequest)]
pub enum PeopleUpload {
    #[oai(content_type = "text/csv")]
    Csv(Binary<Vec<u8>>),
    #[oai(content_type = "text/plain")]
    Text(Binary<Vec<u8>>),
    #[oai(content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")]
    Xlsx(Binary<Vec<u8>>),
    #[oai(content_type = "application/octet-stream")]
    Bytes(Binary<Vec<u8>>),
}

impl PeopleUpload {
    /// The body and how to read it.
    fn into_parts(self) -> (Vec<u8>, FileFormat) {
        match self {
            Self::Csv(bytes) | Self::Text(bytes) => (bytes.0, FileFormat::Csv),
            Self::Xlsx(bytes) => (bytes.0, FileFormat::Xlsx),
            Self::Bytes(bytes) => {
                let format = FileFormat::sniff(&bytes);
                (bytes.0, format)
            }
        }
    }
}

/// A problem with one cell of an imported file.
#[derive(Debug, Object)]
pub struct ImportError {
    /// The line of the file (the header is line 1).
    pub line: u64,
    /// The column, by its English field name (`id_number`) whatever the file calls it.
    pub field: String,
    /// The column's header as the file writes it: `身份证号码` in a file with Chinese headers,
    /// `id_number` in one with English headers.
    pub column: String,
    /// The stable machine name of the broken rule, e.g. `id_number.checksum`.
    pub code: String,
    /// What is wrong, in English.
    pub message: String,
}

/// What an import did, or would do on a dry run.
#[derive(Debug, Object)]
pub struct ImportReport {
    /// Set when rows were written: `DELETE /imports/{import_id}` undoes them.
    pub import_id: Option<String>,
    pub dry_run: bool,
    /// People enrolled.
    pub created: usize,
    /// People already registered who gained a qualification or assignment.
    pub updated: usize,
    /// Rows refused. Without `partial=true`, any error means nothing was written.
    pub errors: Vec<ImportError>,
}

impl From<Report> for ImportReport {
    fn from(r: Report) -> Self {
        Self {
            import_id: r.import_id,
            dry_run: r.dry_run,
            created: r.created,
            updated: r.updated,
            errors: r
                .errors
                .into_iter()
                .map(|e| ImportError {
                    line: e.line,
                    field: e.field,
                    column: e.column,
                    code: e.code.to_owned(),
                    message: e.message,
                })
                .collect(),
        }
    }
}

#[derive(ApiResponse)]
pub enum ImportResponse {
    /// The file was checked; see `errors` and `import_id`.
    #[oai(status = 200)]
    Done(poem_openapi::payload::Json<ImportReport>),
}

#[OpenApi(tag = "ApiTags::People")]
impl PeopleFilesApi {
    /// Import people from CSV or XLSX
    ///
    /// Checks every row (errors name the line, the column by its field and as the file heads
    /// it, and the broken rule, including duplicates inside the file).
    /// All or nothing unless `partial=true`; nothing is written with `dry_run=true`. A person
    /// already registered (same ID number) gains the row's qualification and assignment.
    #[oai(
        path = "/people/import",
        method = "post",
        operation_id = "import_people"
    )]
    async fn import(
        &self,
        auth: BearerAuth,
        /// Check and count only.
        #[oai(default)]
        dry_run: Query<bool>,
        /// Write the good rows even when some are refused.
        #[oai(default)]
        partial: Query<bool>,
        body: PeopleUpload,
    ) -> Result<ImportResponse, AppError> {
        let (bytes, format) = body.into_parts();
        let options = ImportOptions {
            dry_run: dry_run.0,
            partial: partial.0,
            format,
        };
        let report = import::import(&self.state.db, &auth.0, &bytes, options).await?;
        Ok(ImportResponse::Done(poem_openapi::payload::Json(
            report.into(),
        )))
    }

    /// Download the import template
    ///
    /// The header row with the Chinese column names and one example row of a made-up person,
    /// as CSV (UTF-8 with BOM, so Excel shows the Chinese) or XLSX (the ID number, phone and
    /// code columns formatted as text, the date columns as dates, and a second sheet 说明
    /// explaining each column and the values it takes). Imported unchanged it gives one valid
    /// row. For the bureau and street officers, who import.
    #[oai(
        path = "/people/import/template",
        method = "get",
        operation_id = "download_import_template"
    )]
    async fn template(
        &self,
        auth: BearerAuth,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<ExportFormat>>,
    ) -> Result<ExportFile, AppError> {
        let format = format.0.unwrap_or(ExportFormat::Csv);
        let service_format = match format {
            ExportFormat::Csv => FileFormat::Csv,
            ExportFormat::Xlsx => FileFormat::Xlsx,
        };
        let bytes = import::template(&self.state.db, &auth.0, service_format).await?;
        Ok(ExportFile {
            body: bytes.into(),
            format,
            name: "fitreg-import-template".into(),
        })
    }

    /// Undo an import
    ///
    /// Removes the people, qualifications and assignments an import wrote, unless its people have
    /// changed or gained other records since (409).
    #[oai(
        path = "/imports/:import_id",
        method = "delete",
        operation_id = "undo_import"
    )]
    async fn undo(
        &self,
        auth: BearerAuth,
        #[oai(validator(max_length = 64))] import_id: Path<String>,
    ) -> Result<NoContent, AppError> {
        import::undo(&self.state.db, &auth.0, &import_id.0).await?;
        Ok(NoContent::Done)
    }

    /// Export people
    ///
    /// The list's filters and scope, as CSV or XLSX with Chinese column headers. ID numbers are
    /// masked unless the caller is the bureau.
    #[oai(
        path = "/people/export",
        method = "get",
        operation_id = "export_people"
    )]
    async fn export(
        &self,
        auth: BearerAuth,
        /// `csv` (default) or `xlsx`.
        format: Query<Option<ExportFormat>>,
        #[oai(validator(max_length = 100))] q: Query<Option<String>>,
        street_id: Query<Option<i32>>,
        community_id: Query<Option<i32>>,
        role: Query<Option<QualificationKind>>,
        grade: Query<Option<Grade>>,
        status: Query<Option<PersonStatus>>,
        #[oai(validator(max_length = 64))] specialty: Query<Option<String>>,
        /// Instructors `current` with this year's work registration, or `lapsed` (no approved
        /// registration for this year once it closed on 31 March).
        registration: Query<Option<RegistrationStanding>>,
    ) -> Result<ExportFile, AppError> {
        let filter = PersonFilter {
            q: q.0,
            street_id: street_id.0,
            community_id: community_id.0,
            role: role.0,
            grade: grade.0,
            status: status.0,
            specialty: specialty.0,
            registration: registration.0,
        };
        let format = format.0.unwrap_or(ExportFormat::Csv);
        let service_format = match format {
            ExportFormat::Csv => Format::Csv,
            ExportFormat::Xlsx => Format::Xlsx,
        };
        let (bytes, _) =
            people_export::export(&self.state.db, &auth.0, &filter, service_format).await?;
        Ok(ExportFile {
            body: bytes.into(),
            format,
            name: "people".into(),
        })
    }
}
