//! The OpenAPI document as served, and the Swagger UI page that shows it.
//!
//! poem-openapi writes the document from the types; two things it cannot know are added here,
//! in one pass, so the document tells clients (and contract fuzzers) the truth:
//! - an optional property is `nullable`: the server writes `null` for an absent value and reads
//!   `null` as absent;
//! - every operation with a request body may answer 415 (no or another content type).
//!
//! The Swagger UI page carries its script and style inline, so its content security policy
//! allows exactly those, by hash, and nothing else.

use base64::{Engine, engine::general_purpose::STANDARD};
use serde_json::{Map, Value, json};
use sha2::{Digest, Sha256};

/// The document, completed, as JSON text.
pub fn complete(raw: &str) -> String {
    let Ok(mut document) = serde_json::from_str::<Value>(raw) else {
        return raw.to_owned();
    };
    if let Some(schemas) = document
        .pointer_mut("/components/schemas")
        .and_then(Value::as_object_mut)
    {
        for schema in schemas.values_mut() {
            mark_optional_nullable(schema);
        }
    }
    if let Some(paths) = document.get_mut("paths").and_then(Value::as_object_mut) {
        for operation in paths
            .values_mut()
            .filter_map(Value::as_object_mut)
            .flat_map(|ops| ops.values_mut())
            .filter_map(Value::as_object_mut)
        {
            add_unsupported_media_type(operation);
        }
    }
    serde_json::to_string(&document).unwrap_or_else(|_| raw.to_owned())
}

/// Marks every property of an object schema that is not required as nullable. A `$ref` cannot
/// carry siblings in OpenAPI 3.0, so it is wrapped in `allOf`.
fn mark_optional_nullable(schema: &mut Value) {
    let required: Vec<String> = schema
        .get("required")
        .and_then(Value::as_array)
        .map(|r| {
            r.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let Some(properties) = schema.get_mut("properties").and_then(Value::as_object_mut) else {
        return;
    };
    for (name, property) in properties.iter_mut() {
        if required.contains(name) {
            continue;
        }
        let Some(object) = property.as_object_mut() else {
            continue;
        };
        if let Some(reference) = object.remove("$ref") {
            object.insert("allOf".into(), json!([{ "$ref": reference }]));
        }
        object.insert("nullable".into(), Value::Bool(true));
    }
}

fn add_unsupported_media_type(operation: &mut Map<String, Value>) {
    if !operation.contains_key("requestBody") {
        return;
    }
    if let Some(responses) = operation
        .get_mut("responses")
        .and_then(Value::as_object_mut)
    {
        responses.entry("415").or_insert_with(|| {
            json!({
                "description": "No content type, or one this operation does not read",
                "content": {
                    "application/problem+json": {
                        "schema": { "$ref": "#/components/schemas/Problem" }
                    }
                }
            })
        });
    }
}

/// The Swagger UI page showing `document`, and the content security policy that lets exactly
/// its inline script and style run.
pub fn swagger_page(html_with_raw: &str, raw: &str, document: &str) -> (String, String) {
    let html = html_with_raw.replacen(raw, document, 1);
    let scripts = inline_blocks(&html, "script");
    let styles = inline_blocks(&html, "style");
    let sources = |blocks: &[&str]| {
        blocks
            .iter()
            .map(|block| format!("'sha256-{}'", STANDARD.encode(Sha256::digest(block))))
            .collect::<Vec<_>>()
            .join(" ")
    };
    let policy = format!(
        "default-src 'none'; script-src {}; style-src {}; img-src 'self' data:; \
         connect-src 'self'; font-src 'self' data:; base-uri 'none'; form-action 'none'; \
         frame-ancestors 'none'",
        sources(&scripts),
        sources(&styles)
    );
    (html, policy)
}

/// The text inside each `<tag ...>...</tag>` block.
fn inline_blocks<'a>(html: &'a str, tag: &str) -> Vec<&'a str> {
    let (open, close) = (format!("<{tag}"), format!("</{tag}>"));
    let mut blocks = Vec::new();
    let mut rest = html;
    while let Some(start) = rest.find(&open) {
        let after_open = &rest[start..];
        let Some(body_start) = after_open.find('>') else {
            break;
        };
        let body = &after_open[body_start + 1..];
        let Some(end) = body.find(&close) else { break };
        blocks.push(&body[..end]);
        rest = &body[end + close.len()..];
    }
    blocks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn optional_properties_become_nullable_and_bodies_may_get_415() {
        let raw = json!({
            "paths": {"/x": {"post": {"requestBody": {}, "responses": {"200": {}}},
                             "get": {"responses": {"200": {}}}}},
            "components": {"schemas": {"A": {
                "type": "object", "required": ["id"],
                "properties": {"id": {"type": "integer"}, "note": {"type": "string"},
                               "kind": {"$ref": "#/components/schemas/K"}}}}}
        })
        .to_string();
        let done: Value = serde_json::from_str(&complete(&raw)).unwrap();
        let props = &done["components"]["schemas"]["A"]["properties"];
        assert_eq!(props["id"].get("nullable"), None);
        assert_eq!(props["note"]["nullable"], true);
        assert_eq!(props["kind"]["allOf"][0]["$ref"], "#/components/schemas/K");
        assert_eq!(props["kind"]["nullable"], true);
        assert!(done["paths"]["/x"]["post"]["responses"]["415"].is_object());
        assert!(done["paths"]["/x"]["get"]["responses"].get("415").is_none());
    }

    #[test]
    fn the_swagger_policy_names_the_hash_of_each_inline_block() {
        let (html, policy) = swagger_page(
            "<style a>s{}</style><script>let spec = RAW;</script>",
            "RAW",
            "{}",
        );
        assert!(html.contains("let spec = {};"));
        let hash = STANDARD.encode(Sha256::digest("let spec = {};"));
        assert!(
            policy.contains(&format!("script-src 'sha256-{hash}'")),
            "{policy}"
        );
        assert!(!policy.contains("unsafe-inline"));
    }
}
