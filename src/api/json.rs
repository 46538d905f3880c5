//! `JsonBody<T>`: a JSON request body like poem-openapi's `Json<T>`, whose parse errors name the
//! field at fault. poem-openapi reports a wrong type or a missing value without saying where, so
//! the field is found again from the body and the type's schema.

use std::ops::Deref;

use poem::{FromRequest, Request, RequestBody};
use poem_openapi::{
    ApiExtractor, ApiExtractorType, ExtractParamOptions,
    error::ContentTypeError,
    payload::{ParsePayload, Payload},
    registry::{MetaMediaType, MetaRequest, MetaSchemaRef, Registry},
    types::{ParseFromJSON, Type},
};
use serde_json::Value;

use crate::error::AppError;

/// A JSON request body.
pub struct JsonBody<T>(pub T);

impl<T> Deref for JsonBody<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: Type> Payload for JsonBody<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        matches!(content_type.parse::<mime::Mime>(), Ok(mime) if mime.type_() == "application"
            && (mime.subtype() == "json" || mime.suffix().is_some_and(|s| s == "json")))
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: ParseFromJSON> ParsePayload for JsonBody<T> {
    const IS_REQUIRED: bool = true;

    async fn from_request(request: &Request, body: &mut RequestBody) -> poem::Result<Self> {
        let bytes = <Vec<u8> as FromRequest>::from_request(request, body).await?;
        let value: Value = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes).map_err(|e| {
                AppError::bad_request("body", "body.not_json", format!("is not valid JSON: {e}"))
            })?
        };
        if let Some(field) = control_character_path(&value, "") {
            return Err(AppError::invalid(
                &field,
                "text.control_character",
                "must not contain control characters (line breaks and tabs aside)",
            )
            .into());
        }
        match T::parse_from_json(Some(value.clone())) {
            Ok(parsed) => Ok(Self(parsed)),
            Err(err) => {
                let message = err.into_message();
                Err(AppError::bad_request(
                    &locate_field::<T>(&value, &message),
                    "body.invalid",
                    message,
                )
                .into())
            }
        }
    }
}

impl<'a, T: ParseFromJSON> ApiExtractor<'a> for JsonBody<T> {
    const TYPES: &'static [ApiExtractorType] = &[ApiExtractorType::RequestObject];

    type ParamType = ();
    type ParamRawType = ();

    fn register(registry: &mut Registry) {
        <Self as Payload>::register(registry);
    }

    fn request_meta() -> Option<MetaRequest> {
        Some(MetaRequest {
            description: None,
            content: vec![MetaMediaType {
                content_type: Self::CONTENT_TYPE,
                schema: Self::schema_ref(),
            }],
            required: true,
        })
    }

    async fn from_request(
        request: &'a Request,
        body: &mut RequestBody,
        _param_opts: ExtractParamOptions<Self::ParamType>,
    ) -> poem::Result<Self> {
        match request.content_type() {
            Some(content_type) if Self::check_content_type(content_type) => {
                <Self as ParsePayload>::from_request(request, body).await
            }
            Some(content_type) => Err(ContentTypeError::NotSupported {
                content_type: content_type.to_owned(),
            }
            .into()),
            None => Err(ContentTypeError::ExpectContentType.into()),
        }
    }
}

/// The dotted path of the first string in `value` holding a control character other than a line
/// break or tab: no text field of the registry may carry one (a NUL would reach every export).
fn control_character_path(value: &Value, prefix: &str) -> Option<String> {
    let here = |key: &str| {
        if prefix.is_empty() {
            key.to_owned()
        } else {
            format!("{prefix}.{key}")
        }
    };
    match value {
        Value::String(text) => text
            .chars()
            .any(crate::domain::text::is_forbidden_control)
            .then(|| {
                if prefix.is_empty() {
                    "body".to_owned()
                } else {
                    prefix.to_owned()
                }
            }),
        Value::Array(items) => items
            .iter()
            .enumerate()
            .find_map(|(i, item)| control_character_path(item, &here(&i.to_string()))),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            if key.chars().any(crate::domain::text::is_forbidden_control) {
                return Some("body".to_owned());
            }
            control_character_path(item, &here(key))
        }),
        _ => None,
    }
}

/// The field a parse error is about: named in the message, holding the value the message quotes,
/// or a required field the body lacks.
fn locate_field<T: Type>(body: &Value, message: &str) -> String {
    if let Some(field) = message
        .split("field `")
        .nth(1)
        .and_then(|rest| rest.split('`').next())
    {
        return field.to_owned();
    }
    let Value::Object(map) = body else {
        return "body".to_owned();
    };
    if let Some(path) = quoted_value_path(map, message, "") {
        return path;
    }
    if message.contains("found null") {
        let mut registry = Registry::new();
        T::register(&mut registry);
        if let Some(schema) = registry.schemas.get(&T::name().into_owned()) {
            let missing = schema
                .required
                .iter()
                .find(|name| map.get(**name).is_none_or(Value::is_null));
            if let Some(name) = missing {
                return (*name).to_owned();
            }
        }
    }
    "body".to_owned()
}

/// The dotted path of a value the message quotes as `found <value>.`.
fn quoted_value_path(
    map: &serde_json::Map<String, Value>,
    message: &str,
    prefix: &str,
) -> Option<String> {
    for (key, value) in map {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if let Value::Object(inner) = value
            && let Some(found) = quoted_value_path(inner, message, &path)
        {
            return Some(found);
        }
        if !value.is_null() && message.contains(&format!("found {value}.")) {
            return Some(path);
        }
    }
    None
}

/// A JSON response written straight from `T` by serde, for large reports: poem-openapi's
/// `Json<T>` first builds the whole answer as a `serde_json::Value` tree, one allocation per
/// field. The OpenAPI document is the same as for `Json<T>`; `T`'s serde names must be its
/// poem-openapi names (plain `derive(Serialize)` beside `derive(Object)`, no renames).
pub struct JsonReport<T>(pub T);

impl<T: Type> Payload for JsonReport<T> {
    const CONTENT_TYPE: &'static str = "application/json; charset=utf-8";

    fn check_content_type(content_type: &str) -> bool {
        <JsonBody<T> as Payload>::check_content_type(content_type)
    }

    fn schema_ref() -> MetaSchemaRef {
        T::schema_ref()
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

impl<T: Type + serde::Serialize + Send> poem::IntoResponse for JsonReport<T> {
    fn into_response(self) -> poem::Response {
        match serde_json::to_vec(&self.0) {
            Ok(body) => poem::Response::builder()
                .content_type(<Self as Payload>::CONTENT_TYPE)
                .body(body),
            Err(e) => AppError::Internal(format!("serialising the report: {e}"))
                .problem()
                .into_response(),
        }
    }
}

impl<T: Type + serde::Serialize + Send> poem_openapi::ApiResponse for JsonReport<T> {
    fn meta() -> poem_openapi::registry::MetaResponses {
        poem_openapi::registry::MetaResponses {
            responses: vec![poem_openapi::registry::MetaResponse {
                description: "",
                status: Some(200),
                status_range: None,
                content: vec![MetaMediaType {
                    content_type: <Self as Payload>::CONTENT_TYPE,
                    schema: Self::schema_ref(),
                }],
                headers: vec![],
            }],
        }
    }

    fn register(registry: &mut Registry) {
        T::register(registry);
    }
}

#[cfg(test)]
mod tests {
    use poem_openapi::Object;
    use serde_json::json;

    use super::*;

    #[derive(Object)]
    struct Inner {
        second: f64,
    }

    #[derive(Object)]
    struct Sample {
        name: String,
        count: i32,
        inner: Option<Inner>,
    }

    fn field_of(body: Value) -> String {
        let message = Sample::parse_from_json(Some(body.clone()))
            .err()
            .unwrap()
            .into_message();
        locate_field::<Sample>(&body, &message)
    }

    #[test]
    fn the_field_at_fault_is_named() {
        assert_eq!(field_of(json!({"name": "a", "count": "many"})), "count");
        assert_eq!(field_of(json!({"count": 1})), "name");
        assert_eq!(
            field_of(json!({"name": "a", "count": 1, "inner": {"second": "x"}})),
            "inner.second"
        );
        assert_eq!(field_of(json!([1, 2])), "body");
    }

    #[test]
    fn control_characters_are_found_where_they_hide() {
        assert_eq!(
            control_character_path(&json!({"name": "a\u{0}b"}), ""),
            Some("name".into())
        );
        assert_eq!(
            control_character_path(&json!({"ids": [1], "x": {"y": ["ok", "\u{1b}"]}}), ""),
            Some("x.y.1".into())
        );
        assert_eq!(
            control_character_path(&json!({"d": "line\nbreak\ttab"}), ""),
            None
        );
    }
}
