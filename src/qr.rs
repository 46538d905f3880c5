//! QR codes as inline SVG: no script, no style attribute, so a page under a strict policy can
//! carry one. Used by the certificate (its verification address) and the community posters (their
//! check-in address).

use qrcode::{EcLevel, QrCode, render::svg};

use crate::error::AppError;

/// The QR code of `text`, at least `size` pixels square, with its quiet zone.
pub fn svg(text: &str, size: u32) -> Result<String, AppError> {
    let code = QrCode::with_error_correction_level(text.as_bytes(), EcLevel::M)
        .map_err(|e| AppError::Internal(format!("qr code: {e}")))?;
    let svg = code
        .render::<svg::Color<'_>>()
        .min_dimensions(size, size)
        .quiet_zone(true)
        .build();
    // The XML declaration is not wanted inside an HTML page.
    Ok(match svg.find("<svg") {
        Some(at) => svg[at..].to_owned(),
        None => svg,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_code_is_an_svg_element_without_script_or_style() {
        let svg = super::svg("https://fitreg.example/verify/abc", 200).unwrap();
        assert!(svg.starts_with("<svg"), "{}", &svg[..40]);
        assert!(!svg.contains("<script") && !svg.contains("style="));
    }
}
