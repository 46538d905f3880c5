//! What a ZIP archive (an XLSX workbook) declares it unpacks to, read from its central directory
//! before anything is unpacked: calamine unpacks the shared strings whole, so a small archive
//! that declares gigabytes is refused before it is opened. An archive may lie about its sizes;
//! the sheet's own limits (rows, columns, cells, text) still bound what is read of the sheet.

/// The end-of-central-directory record: signature, then at offset 10 the number of entries and
/// at 16 the directory's offset.
const END_SIGNATURE: [u8; 4] = *b"PK\x05\x06";
const END_LEN: usize = 22;
/// A central directory entry: signature, the unpacked size at offset 24, the lengths of name,
/// extra field and comment at 28, 30 and 32, then those three.
const ENTRY_SIGNATURE: [u8; 4] = *b"PK\x01\x02";
const ENTRY_LEN: usize = 46;

fn u16_at(bytes: &[u8], at: usize) -> Option<u64> {
    let pair: [u8; 2] = bytes.get(at..at.checked_add(2)?)?.try_into().ok()?;
    Some(u16::from_le_bytes(pair).into())
}

fn u32_at(bytes: &[u8], at: usize) -> Option<u64> {
    let quad: [u8; 4] = bytes.get(at..at.checked_add(4)?)?.try_into().ok()?;
    Some(u32::from_le_bytes(quad).into())
}

/// The sum of the unpacked sizes the central directory declares, or `None` when it cannot be
/// read or uses ZIP64 (then calamine's reading says what is wrong, and the sheet's limits hold).
pub(super) fn declared_unpacked_size(zip: &[u8]) -> Option<u64> {
    let last = zip.len().checked_sub(END_LEN)?;
    // The record ends the file, followed only by a comment of at most 65,535 bytes.
    let end = (last.saturating_sub(usize::from(u16::MAX))..=last)
        .rev()
        .find(|&at| zip[at..at + 4] == END_SIGNATURE)?;
    let entries = u16_at(zip, end + 10)?;
    let offset = u32_at(zip, end + 16)?;
    if entries == u64::from(u16::MAX) || offset == u64::from(u32::MAX) {
        return None;
    }
    let mut at = usize::try_from(offset).ok()?;
    let mut total = 0u64;
    for _ in 0..entries {
        if zip.get(at..at.checked_add(4)?)? != ENTRY_SIGNATURE {
            return None;
        }
        let size = u32_at(zip, at + 24)?;
        if size == u64::from(u32::MAX) {
            return None;
        }
        total = total.saturating_add(size);
        let variable = u16_at(zip, at + 28)? + u16_at(zip, at + 30)? + u16_at(zip, at + 32)?;
        at = at.checked_add(ENTRY_LEN + usize::try_from(variable).ok()?)?;
    }
    Some(total)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn workbook(cells: u32) -> Vec<u8> {
        let mut workbook = rust_xlsxwriter::Workbook::new();
        let sheet = workbook.add_worksheet();
        for row in 0..cells {
            sheet.write_string(row, 0, "广场舞".repeat(20)).unwrap();
            sheet.write_number(row, 1, f64::from(row)).unwrap();
        }
        workbook.save_to_buffer().unwrap()
    }

    #[test]
    fn a_workbook_declares_what_it_unpacks_to() {
        let small = workbook(1);
        let large = workbook(20_000);
        let small_size = declared_unpacked_size(&small).expect("a readable directory");
        let large_size = declared_unpacked_size(&large).expect("a readable directory");
        assert!(small_size > small.len() as u64 / 2, "{small_size}");
        assert!(
            large_size > 5 * large.len() as u64,
            "a repetitive sheet packs well: {large_size} from {}",
            large.len()
        );
    }

    #[test]
    fn an_unreadable_directory_declares_nothing() {
        let whole = workbook(3);
        assert_eq!(declared_unpacked_size(b""), None);
        assert_eq!(declared_unpacked_size(b"PK\x03\x04 not a zip at all"), None);
        assert_eq!(declared_unpacked_size(&whole[..whole.len() - 30]), None);
        let mut moved = whole.clone();
        let end = moved.len() - END_LEN;
        moved[end + 16..end + 20].copy_from_slice(&u32::MAX.to_le_bytes()[..]);
        assert_eq!(declared_unpacked_size(&moved), None);
        let mut pointing_away = whole;
        pointing_away[end + 16..end + 20].copy_from_slice(&7u32.to_le_bytes()[..]);
        assert_eq!(declared_unpacked_size(&pointing_away), None);
    }
}
