//! What the staff pages share: who may open them, what they may change, reading codes from a
//! query string, and the pager under a long list.

use serde::de::DeserializeOwned;

use crate::{domain::account::Role, error::AppError, web::session::WebCaller};

/// The staff pages are for the street offices, the bureau and the auditors.
pub fn require_staff(who: &WebCaller) -> Result<(), AppError> {
    if who.caller.role == Role::Member {
        return Err(AppError::Forbidden(
            "这是街道（乡镇）和区文体新局工作人员的页面".into(),
        ));
    }
    Ok(())
}

/// The pages and forms that only the bureau uses; `refusal` tells anyone else what it does.
pub fn require_bureau(who: &WebCaller, refusal: &str) -> Result<(), AppError> {
    require_staff(who)?;
    if who.caller.role != Role::BureauAdmin {
        return Err(AppError::Forbidden(refusal.to_owned()));
    }
    Ok(())
}

/// Whether the caller's pages show controls that change anything: the auditors read only.
pub fn may_change(who: &WebCaller) -> bool {
    matches!(who.caller.role, Role::StreetOfficer | Role::BureauAdmin)
}

/// A code of a query string or form (`social_sports_instructor`, `active`...) as its enum; an
/// empty or unknown code is none.
pub fn code_of<T: DeserializeOwned>(code: Option<&str>) -> Option<T> {
    let code = code?.trim();
    if code.is_empty() {
        return None;
    }
    serde_json::from_value(serde_json::Value::String(code.to_owned())).ok()
}

/// The code of an enum value, as its serde name.
pub fn code(value: impl serde::Serialize) -> String {
    match serde_json::to_value(value) {
        Ok(serde_json::Value::String(code)) => code,
        _ => String::new(),
    }
}

/// A page number from a query string: 1 unless it is a positive number.
pub fn page_number(page: Option<&str>) -> u64 {
    page.and_then(|p| p.trim().parse::<u64>().ok())
        .filter(|p| (1..=crate::services::MAX_PAGE).contains(p))
        .unwrap_or(1)
}

/// Links to the pages before and after this one, keeping the other parameters.
pub struct Pager {
    pub page: u64,
    pub pages: u64,
    pub total: u64,
    pub previous: Option<String>,
    pub next: Option<String>,
}

impl Pager {
    /// `params` are the query parameters of the list without `page`.
    pub fn new(
        path: &str,
        params: &[(&str, String)],
        page: u64,
        per_page: u64,
        total: u64,
    ) -> Self {
        let pages = total.div_ceil(per_page.max(1)).max(1);
        let link = |to: u64| {
            let mut all: Vec<(&str, String)> = params
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .cloned()
                .collect();
            all.push(("page", to.to_string()));
            format!(
                "{path}?{}",
                serde_urlencoded::to_string(&all).unwrap_or_default()
            )
        };
        Self {
            page,
            pages,
            total,
            previous: (page > 1).then(|| link(page - 1)),
            next: (page < pages).then(|| link(page + 1)),
        }
    }
}

/// A query string of the parameters that are set.
pub fn query_string(params: &[(&str, String)]) -> String {
    let set: Vec<&(&str, String)> = params.iter().filter(|(_, v)| !v.is_empty()).collect();
    serde_urlencoded::to_string(set).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::person::QualificationKind;

    #[test]
    fn codes_read_as_enums_and_unknown_ones_as_none() {
        assert_eq!(
            code_of::<QualificationKind>(Some("fitness_volunteer")),
            Some(QualificationKind::FitnessVolunteer)
        );
        assert_eq!(code_of::<QualificationKind>(Some("")), None);
        assert_eq!(code_of::<QualificationKind>(Some("<script>")), None);
        assert_eq!(
            code(QualificationKind::FitnessVolunteer),
            "fitness_volunteer"
        );
    }

    #[test]
    fn the_pager_keeps_the_filters() {
        let pager = Pager::new(
            "/people",
            &[("q", "张 三".into()), ("role", String::new())],
            2,
            50,
            120,
        );
        assert_eq!(pager.pages, 3);
        assert_eq!(
            pager.previous.as_deref(),
            Some("/people?q=%E5%BC%A0+%E4%B8%89&page=1")
        );
        assert_eq!(
            pager.next.as_deref(),
            Some("/people?q=%E5%BC%A0+%E4%B8%89&page=3")
        );
        assert_eq!(page_number(Some("0")), 1);
        assert_eq!(page_number(Some("x")), 1);
    }
}
