//! The service's temporary file storage, as the official SDK uses it (`utils/oss_utils.py`):
//! ask for an upload policy (`GET {base}/uploads?action=getPolicy&model=M`), post the file as
//! a form to the storage host the policy names, and refer to it as `oss://KEY` in a request
//! sent with `X-DashScope-OssResourceResolve: enable`.

use serde_json::Value;

use super::http::{Client, HttpError};

/// One upload policy (the `output` of `getPolicy`).
#[derive(Debug, Clone)]
struct Policy {
    upload_host: String,
    upload_dir: String,
    fields: Vec<(&'static str, String)>,
}

fn policy(output: &Value, url: &str) -> Result<Policy, HttpError> {
    let field = |name: &str| {
        output
            .get(name)
            .and_then(|v| match v {
                Value::String(s) => Some(s.clone()),
                Value::Bool(b) => Some(b.to_string()),
                Value::Number(n) => Some(n.to_string()),
                _ => None,
            })
            .ok_or_else(|| HttpError::BadResponse {
                url: url.to_owned(),
                reason: format!("the upload policy has no {name}"),
            })
    };
    Ok(Policy {
        upload_host: field("upload_host")?,
        upload_dir: field("upload_dir")?,
        fields: vec![
            ("OSSAccessKeyId", field("oss_access_key_id")?),
            ("Signature", field("signature")?),
            ("policy", field("policy")?),
            ("x-oss-object-acl", field("x_oss_object_acl")?),
            ("x-oss-forbid-overwrite", field("x_oss_forbid_overwrite")?),
        ],
    })
}

/// Upload `bytes` (named `file_name`, of type `mime`) for use by `model`; the `oss://` URL.
pub async fn upload(
    client: &Client,
    model: &str,
    file_name: &str,
    mime: &'static str,
    bytes: Vec<u8>,
) -> Result<String, HttpError> {
    let answer = client
        .get_json("uploads", &[("action", "getPolicy"), ("model", model)])
        .await?;
    let url = format!("{}/uploads", client.base());
    let output = answer.get("output").ok_or_else(|| HttpError::BadResponse {
        url: url.clone(),
        reason: "no output".into(),
    })?;
    let policy = policy(output, &url)?;
    // Only a plain name goes into the key: the storage takes the key's characters literally.
    let name: String = file_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let key = format!("{}/{}", policy.upload_dir, name.trim_start_matches('.'));
    let form = || {
        let mut form = reqwest::multipart::Form::new();
        for (name, value) in &policy.fields {
            form = form.text(*name, value.clone());
        }
        form = form
            .text("key", key.clone())
            .text("success_action_status", "200")
            .text("x-oss-content-type", mime);
        // The storage reads fields up to the file: the file goes last.
        let part = reqwest::multipart::Part::bytes(bytes.clone())
            .file_name(name.clone())
            .mime_str(mime)
            .unwrap_or_else(|_| reqwest::multipart::Part::bytes(bytes.clone()));
        form.part("file", part)
    };
    client.post_form(&policy.upload_host, form).await?;
    Ok(format!("oss://{key}"))
}
