//! Writing tables as CSV (UTF-8 with a BOM, so Excel reads the Chinese) or as XLSX workbooks
//! with a bold, frozen header row. Every cell is text: a CSV cell that a spreadsheet would read
//! as a formula is neutralised, and control characters never reach a file.

use std::borrow::Cow;

use crate::error::AppError;

/// A cell as it may be written: control characters (but tab and newline) dropped.
fn clean(value: &str) -> Cow<'_, str> {
    if value
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        Cow::Owned(
            value
                .chars()
                .filter(|c| !c.is_control() || *c == '\n' || *c == '\t')
                .collect(),
        )
    } else {
        Cow::Borrowed(value)
    }
}

/// A CSV cell that Excel or LibreOffice would run as a formula (it starts with `=`, `+`, `-`,
/// `@`, a tab or a carriage return) gets a leading apostrophe, as OWASP advises, so it is shown
/// as the text it is.
fn csv_cell(value: &str) -> Cow<'_, str> {
    let starts_formula = value
        .chars()
        .next()
        .is_some_and(|c| matches!(c, '=' | '+' | '-' | '@' | '\t' | '\r'));
    let cleaned = clean(value);
    if starts_formula {
        Cow::Owned(format!("'{cleaned}"))
    } else {
        cleaned
    }
}

/// One worksheet of a workbook.
pub struct Sheet<'a, R> {
    pub name: &'a str,
    pub headers: &'a [&'a str],
    pub rows: &'a [R],
}

/// A CSV file of `headers` and `rows`.
pub fn csv<R: AsRef<[String]>>(headers: &[&str], rows: &[R]) -> Result<Vec<u8>, AppError> {
    let fail = |e: csv::Error| AppError::Internal(format!("csv: {e}"));
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer.write_record(headers).map_err(fail)?;
    for row in rows {
        writer
            .write_record(row.as_ref().iter().map(|cell| csv_cell(cell).into_owned()))
            .map_err(fail)?;
    }
    writer
        .into_inner()
        .map_err(|e| AppError::Internal(format!("csv: {e}")))
}

/// An XLSX workbook with one worksheet per sheet, every cell text.
pub fn xlsx<R: AsRef<[String]>>(sheets: &[Sheet<'_, R>]) -> Result<Vec<u8>, AppError> {
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("xlsx: {e}"));
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    for sheet in sheets {
        let worksheet = workbook.add_worksheet();
        worksheet.set_name(sheet.name).map_err(fail)?;
        for (col, header) in sheet.headers.iter().enumerate() {
            worksheet
                .write_string_with_format(0, col as u16, *header, &bold)
                .map_err(fail)?;
        }
        for (r, row) in sheet.rows.iter().enumerate() {
            for (col, value) in row.as_ref().iter().enumerate() {
                worksheet
                    .write_string(r as u32 + 1, col as u16, clean(value))
                    .map_err(fail)?;
            }
        }
        worksheet.set_freeze_panes(1, 0).map_err(fail)?;
    }
    workbook.save_to_buffer().map_err(fail)
}

/// The format of a file written as its rows come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Csv,
    Xlsx,
}

/// A worksheet of a streamed file: its name (XLSX only) and header row. A CSV file is one table,
/// under the first sheet's headers; every row goes into it whatever its sheet.
#[derive(Debug, Clone, Copy)]
pub struct SheetSpec {
    pub name: &'static str,
    pub headers: &'static [&'static str],
}

/// Bytes handed to the body at a time.
const CHUNK: usize = 64 * 1024;
/// Rows handed to the encoder at a time, and batches of them that may wait.
const BATCH: usize = 256;
const BATCHES_WAITING: usize = 2;
/// Chunks of the file that may wait for a slow client.
const CHUNKS_WAITING: usize = 4;

type Cell = Result<Vec<u8>, std::io::Error>;

/// What the encoder writes into: chunks of `CHUNK` bytes sent to the response body, waiting
/// while the client is slow, failing once it has gone.
struct ChunkWriter {
    buffer: Vec<u8>,
    body: tokio::sync::mpsc::Sender<Cell>,
}

impl ChunkWriter {
    fn send(&mut self) -> std::io::Result<()> {
        if self.buffer.is_empty() {
            return Ok(());
        }
        let chunk = std::mem::replace(&mut self.buffer, Vec::with_capacity(CHUNK));
        self.body
            .blocking_send(Ok(chunk))
            .map_err(|_| std::io::Error::new(std::io::ErrorKind::BrokenPipe, "client gone"))
    }
}

impl std::io::Write for ChunkWriter {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(bytes);
        if self.buffer.len() >= CHUNK {
            self.send()?;
        }
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.send()
    }
}

/// Encodes rows as they come, holding one row (CSV: a buffer) in memory: an XLSX worksheet in
/// constant-memory mode writes each row to a temporary file as the next begins, and the
/// workbook is zipped straight into the body at the end.
enum Encoder {
    Csv(Box<csv::Writer<ChunkWriter>>),
    Xlsx {
        workbook: Box<rust_xlsxwriter::Workbook>,
        next_row: Vec<u32>,
        out: ChunkWriter,
    },
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> String {
    format!("xlsx: {e}")
}

impl Encoder {
    fn new(kind: Kind, sheets: &[SheetSpec], out: ChunkWriter) -> Result<Self, String> {
        match kind {
            Kind::Csv => {
                let mut out = out;
                std::io::Write::write_all(&mut out, b"\xEF\xBB\xBF").map_err(|e| e.to_string())?;
                let mut writer = csv::Writer::from_writer(out);
                writer
                    .write_record(sheets.first().map(|s| s.headers).unwrap_or_default())
                    .map_err(|e| format!("csv: {e}"))?;
                Ok(Self::Csv(Box::new(writer)))
            }
            Kind::Xlsx => {
                let mut workbook = Box::new(rust_xlsxwriter::Workbook::new());
                let bold = rust_xlsxwriter::Format::new().set_bold();
                for sheet in sheets {
                    let worksheet = workbook
                        .add_worksheet_with_constant_memory()
                        .map_err(xlsx_error)?;
                    worksheet.set_name(sheet.name).map_err(xlsx_error)?;
                    for (col, header) in sheet.headers.iter().enumerate() {
                        worksheet
                            .write_string_with_format(0, col as u16, *header, &bold)
                            .map_err(xlsx_error)?;
                    }
                    worksheet.set_freeze_panes(1, 0).map_err(xlsx_error)?;
                }
                Ok(Self::Xlsx {
                    workbook,
                    next_row: vec![1; sheets.len()],
                    out,
                })
            }
        }
    }

    fn write(&mut self, sheet: usize, row: &[String]) -> Result<(), String> {
        match self {
            Self::Csv(writer) => {
                let fail = |e: csv::Error| format!("csv: {e}");
                for cell in row {
                    writer
                        .write_field(csv_cell(cell).as_bytes())
                        .map_err(fail)?;
                }
                writer.write_record(None::<&[u8]>).map_err(fail)
            }
            Self::Xlsx {
                workbook, next_row, ..
            } => {
                let r = next_row
                    .get_mut(sheet)
                    .ok_or_else(|| format!("xlsx: no sheet {sheet}"))?;
                let worksheet = workbook.worksheet_from_index(sheet).map_err(xlsx_error)?;
                for (col, value) in row.iter().enumerate() {
                    worksheet
                        .write_string(*r, col as u16, clean(value))
                        .map_err(xlsx_error)?;
                }
                *r += 1;
                Ok(())
            }
        }
    }

    fn finish(self) -> Result<(), String> {
        match self {
            Self::Csv(writer) => {
                let mut out = writer.into_inner().map_err(|e| format!("csv: {e}"))?;
                std::io::Write::flush(&mut out).map_err(|e| e.to_string())
            }
            Self::Xlsx {
                mut workbook,
                mut out,
                ..
            } => {
                workbook.save_to_writer(&mut out).map_err(xlsx_error)?;
                std::io::Write::flush(&mut out).map_err(|e| e.to_string())
            }
        }
    }
}

enum Batch {
    Rows(Vec<(usize, Vec<String>)>),
    Done,
}

/// The producing end of a streamed file: rows go in, in order within each sheet.
pub struct RowSink {
    batch: Vec<(usize, Vec<String>)>,
    encoder: tokio::sync::mpsc::Sender<Batch>,
}

/// The file is no longer wanted: the client went away, or the encoder failed (and said why in
/// the log). The producer stops.
#[derive(Debug)]
pub struct Abandoned;

impl RowSink {
    /// Adds a row of `sheet` (an index into the sheets the file was started with).
    pub async fn push(&mut self, sheet: usize, row: Vec<String>) -> Result<(), Abandoned> {
        self.batch.push((sheet, row));
        if self.batch.len() >= BATCH {
            let rows = std::mem::replace(&mut self.batch, Vec::with_capacity(BATCH));
            self.encoder
                .send(Batch::Rows(rows))
                .await
                .map_err(|_| Abandoned)?;
        }
        Ok(())
    }

    /// The last row has been pushed: the file is finished and its end sent.
    async fn finish(mut self) -> Result<(), Abandoned> {
        let rows = std::mem::take(&mut self.batch);
        if !rows.is_empty() {
            self.encoder
                .send(Batch::Rows(rows))
                .await
                .map_err(|_| Abandoned)?;
        }
        self.encoder.send(Batch::Done).await.map_err(|_| Abandoned)
    }
}

/// A file whose rows `produce` pushes as it reads them, streamed to the client as it is
/// written: what is held at once is a few batches of rows and a few chunks of the file, whatever
/// its length. An error of `produce` (logged) cuts the body short, so the client sees an
/// incomplete download, never a file that looks whole.
pub fn streamed<F, Fut>(kind: Kind, sheets: Vec<SheetSpec>, produce: F) -> FileStream
where
    F: FnOnce(RowSink) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = Result<RowSink, StreamError>> + Send + 'static,
{
    let (body_tx, body_rx) = tokio::sync::mpsc::channel::<Cell>(CHUNKS_WAITING);
    let (rows_tx, mut rows_rx) = tokio::sync::mpsc::channel::<Batch>(BATCHES_WAITING);
    let cut_short = body_tx.clone();
    tokio::task::spawn_blocking(move || {
        let out = ChunkWriter {
            buffer: Vec::with_capacity(CHUNK),
            body: body_tx,
        };
        let result = (|| {
            let mut encoder = Encoder::new(kind, &sheets, out)?;
            loop {
                match rows_rx.blocking_recv() {
                    Some(Batch::Rows(rows)) => {
                        for (sheet, row) in &rows {
                            encoder.write(*sheet, row)?;
                        }
                    }
                    Some(Batch::Done) => return encoder.finish(),
                    None => return Err("the rows stopped before the end".to_owned()),
                }
            }
        })();
        // A client that went away needs neither the error nor a log line.
        if let (Err(reason), false) = (result, cut_short.is_closed()) {
            tracing::warn!(%reason, "export cut short");
            let _ = cut_short.blocking_send(Err(std::io::Error::other(reason)));
        }
    });
    tokio::spawn(async move {
        let sink = RowSink {
            batch: Vec::with_capacity(BATCH),
            encoder: rows_tx,
        };
        match produce(sink).await {
            Ok(sink) => {
                // Abandoned: the client went away; nothing more to do.
                let _ = sink.finish().await;
            }
            Err(StreamError::Abandoned) => {}
            Err(StreamError::Failed(err)) => {
                tracing::error!(error = %err, "export failed while reading its rows");
            }
        }
    });
    FileStream(body_rx)
}

/// A file being written: its chunks in order, then an error instead of the end if it was cut
/// short.
pub struct FileStream(tokio::sync::mpsc::Receiver<Cell>);

impl FileStream {
    pub fn into_stream(
        self,
    ) -> impl futures_util::Stream<Item = Result<Vec<u8>, std::io::Error>> + Send + 'static {
        futures_util::stream::unfold(self.0, |mut rx| async move {
            rx.recv().await.map(|chunk| (chunk, rx))
        })
    }
}

/// Why a producer stopped before its last row.
#[derive(Debug)]
pub enum StreamError {
    /// The file is no longer wanted.
    Abandoned,
    /// Reading the rows failed.
    Failed(AppError),
}

impl From<Abandoned> for StreamError {
    fn from(_: Abandoned) -> Self {
        Self::Abandoned
    }
}

impl From<AppError> for StreamError {
    fn from(err: AppError) -> Self {
        Self::Failed(err)
    }
}

impl From<sea_orm::DbErr> for StreamError {
    fn from(err: sea_orm::DbErr) -> Self {
        Self::Failed(err.into())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_that_would_run_as_formulas_are_neutralised() {
        for hostile in [
            "=HYPERLINK(\"http://e\",\"x\")",
            "+1+1",
            "-2+3",
            "@SUM(A1)",
            "\t=1",
            "\r=1",
        ] {
            assert!(csv_cell(hostile).starts_with('\''), "{hostile:?}");
        }
        assert_eq!(csv_cell("张三"), "张三");
        assert_eq!(csv_cell("a=b"), "a=b");
        assert_eq!(clean("a\u{0}b\u{7}c"), "abc");
        let file = String::from_utf8(
            csv(
                &["姓名"],
                &[vec!["=HYPERLINK(\"http://e\",\"x\")".to_owned()]],
            )
            .unwrap(),
        )
        .unwrap();
        assert!(
            file.contains("\"'=HYPERLINK(\"\"http://e\"\",\"\"x\"\")\""),
            "{file}"
        );
    }

    async fn read_all(file: FileStream) -> (Vec<u8>, Option<std::io::Error>) {
        use futures_util::StreamExt;
        let mut stream = std::pin::pin!(file.into_stream());
        let mut bytes = Vec::new();
        while let Some(chunk) = stream.next().await {
            match chunk {
                Ok(chunk) => bytes.extend(chunk),
                Err(err) => return (bytes, Some(err)),
            }
        }
        (bytes, None)
    }

    const SHEET: [SheetSpec; 1] = [SheetSpec {
        name: "表",
        headers: &["甲", "乙"],
    }];

    #[tokio::test]
    async fn a_streamed_csv_is_the_file_made_whole() {
        let rows: Vec<Vec<String>> = (0..5000)
            .map(|i| vec![format!("={i}"), "张三\u{7}".to_owned()])
            .collect();
        let whole = csv(&["甲", "乙"], &rows).unwrap();
        let file = streamed(Kind::Csv, SHEET.to_vec(), move |mut sink| async move {
            for row in rows {
                sink.push(0, row).await?;
            }
            Ok(sink)
        });
        let (bytes, error) = read_all(file).await;
        assert!(error.is_none());
        assert!(bytes.len() > CHUNK, "several chunks");
        assert_eq!(bytes, whole);
    }

    #[tokio::test]
    async fn a_producer_that_fails_cuts_the_file_short_with_an_error() {
        for kind in [Kind::Csv, Kind::Xlsx] {
            let file = streamed(kind, SHEET.to_vec(), |mut sink| async move {
                for i in 0..1000 {
                    sink.push(0, vec![i.to_string(), String::new()]).await?;
                }
                Err(StreamError::Failed(AppError::Internal(
                    "the database went away".into(),
                )))
            });
            let (_, error) = read_all(file).await;
            assert!(
                error.is_some(),
                "{kind:?}: the body ends in an error, not a clean end"
            );
        }
    }
}
