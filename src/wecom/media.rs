//! Files both ways. In: a picture or file someone sends arrives as a link valid five minutes
//! to an AES-256-CBC encrypted copy (key: the frame's base64 `aeskey`; IV: the key's first 16
//! bytes; PKCS#7 padding to a multiple of 32 bytes, checked by hand), fetched and decrypted at
//! once (the SDK's `src/crypto.ts:15-58`, `src/client.ts:556-579`). Out: the chunked upload
//! over the long connection (`aibot_upload_media_init {type, filename, total_size,
//! total_chunks, md5}` → `upload_id`; `aibot_upload_media_chunk {upload_id, chunk_index,
//! base64_data}` of at most 512 KiB each, numbered from 0 as the SDK does; and
//! `aibot_upload_media_finish {upload_id}` → `media_id`, valid three days: the SDK's
//! `src/client.ts:355-495`).

use aes::cipher::{BlockDecryptMut, KeyIvInit};
use base64::Engine;
use serde_json::json;

use super::link::{Link, LinkError};
use crate::core::Core;
use crate::domain::Platform;
use crate::texts;

/// The largest chunk of an upload, before base64.
pub const CHUNK: usize = 512 * 1024;
/// The most chunks an upload may have.
const MOST_CHUNKS: usize = 100;
/// The largest file fetched from a link.
const MOST_BYTES: usize = 50 * 1024 * 1024;

/// A base64 decoder that takes the key with or without its `=` padding (both are seen).
const LENIENT: base64::engine::GeneralPurpose = base64::engine::GeneralPurpose::new(
    &base64::alphabet::STANDARD,
    base64::engine::GeneralPurposeConfig::new()
        .with_decode_padding_mode(base64::engine::DecodePaddingMode::Indifferent),
);

/// Decrypts a fetched file with its frame's `aeskey`.
pub fn decrypt(encrypted: &[u8], aeskey: &str) -> Result<Vec<u8>, String> {
    let key = LENIENT.decode(aeskey.trim()).map_err(|e| format!("aeskey: {e}"))?;
    if key.len() != 32 {
        return Err(format!("aeskey: {} bytes, not 32", key.len()));
    }
    if encrypted.is_empty() || !encrypted.len().is_multiple_of(16) {
        return Err(format!("{} bytes: not whole AES blocks", encrypted.len()));
    }
    let decryptor =
        cbc::Decryptor::<aes::Aes256>::new_from_slices(&key, &key[..16]).map_err(|e| e.to_string())?;
    let mut buffer = encrypted.to_vec();
    let plain = decryptor
        .decrypt_padded_mut::<aes::cipher::block_padding::NoPadding>(&mut buffer)
        .map_err(|e| e.to_string())?;
    let pad = usize::from(*plain.last().unwrap_or(&0));
    if !(1..=32).contains(&pad)
        || pad > plain.len()
        || plain[plain.len() - pad..].iter().any(|&b| usize::from(b) != pad)
    {
        return Err("the padding does not check: a wrong key or damaged data".into());
    }
    let len = plain.len() - pad;
    buffer.truncate(len);
    Ok(buffer)
}

/// Fetches a file's link and decrypts it: its name (from `Content-Disposition`, when given)
/// and bytes.
pub async fn fetch(
    client: &reqwest::Client,
    url: &str,
    aeskey: &str,
) -> Result<(Option<String>, Vec<u8>), String> {
    let response = client
        .get(url)
        .timeout(std::time::Duration::from_secs(30))
        .send()
        .await
        .and_then(reqwest::Response::error_for_status)
        .map_err(|e| e.without_url().to_string())?;
    let name = response
        .headers()
        .get(reqwest::header::CONTENT_DISPOSITION)
        .and_then(|v| v.to_str().ok())
        .and_then(file_name);
    let mut response = response;
    let mut bytes = Vec::new();
    // Read in chunks, counting: a length the server did not announce is bounded too.
    while let Some(chunk) = response.chunk().await.map_err(|e| e.without_url().to_string())? {
        if bytes.len() + chunk.len() > MOST_BYTES {
            return Err("the file is larger than 50 MB".into());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((name, decrypt(&bytes, aeskey)?))
}

/// The file name of a `Content-Disposition` header: `filename*=UTF-8''…` first, then
/// `filename="…"` (as the SDK reads it, `src/api.ts:35-49`).
pub fn file_name(header: &str) -> Option<String> {
    let value = |key: &str| {
        header.split(';').map(str::trim).find_map(|part| part.strip_prefix(key)).map(|v| v.trim_matches('"'))
    };
    if let Some(encoded) = value("filename*=") {
        let encoded = encoded.split_once("''").map_or(encoded, |(_, rest)| rest);
        return url::form_urlencoded::parse(format!("n={encoded}").as_bytes())
            .next()
            .map(|(_, v)| v.into_owned())
            .filter(|n| !n.is_empty());
    }
    value("filename=").map(str::to_owned).filter(|n| !n.is_empty())
}

/// The files a callback carries (a picture, a file, a picture among words), with the name each
/// is kept under when the download names none: the first picture or the file, as a check-in
/// keeps one.
fn carried(body: &serde_json::Value) -> Option<(&serde_json::Value, &'static str)> {
    match body["msgtype"].as_str()? {
        "image" => Some((&body["image"], texts::notices::PICTURE_FILE_NAME)),
        "file" => Some((&body["file"], texts::notices::FILE_NAME)),
        "mixed" => body["mixed"]["msg_item"]
            .as_array()?
            .iter()
            .find(|i| i["msgtype"].as_str() == Some("image"))
            .map(|i| (&i["image"], texts::notices::PICTURE_FILE_NAME)),
        _ => None,
    }
}

/// The files being fetched now, each behind its own lock.
type Fetching = std::collections::HashMap<String, std::sync::Arc<tokio::sync::Mutex<()>>>;
static FETCHING: std::sync::LazyLock<std::sync::Mutex<Fetching>> = std::sync::LazyLock::new(Default::default);

/// On receipt (the callback already in the inbox): fetches its file while the link lives, so
/// a message that waits its turn behind others, or across a restart, still has it.
pub async fn keep_on_receipt(core: Core, http: reqwest::Client, msgid: String, body: serde_json::Value) {
    if let Some((item, name)) = carried(&body) {
        keep(&core, &http, &format!("wc:{msgid}"), item, name).await;
    }
}

/// Fetches and decrypts a file while its link lives, and keeps it as `file_id`; true when it
/// is kept (now or before). False when it could not be (the link expired while the bot was
/// down, a network error): the message then goes on without it.
pub async fn keep(
    core: &Core,
    http: &reqwest::Client,
    file_id: &str,
    item: &serde_json::Value,
    default_name: &str,
) -> bool {
    // Fetched on receipt and looked for again when the message's turn comes: one fetch at a
    // time per file, and the second finds it kept.
    let lock = {
        let mut fetching = FETCHING.lock().unwrap_or_else(|p| p.into_inner());
        fetching.retain(|_, l| std::sync::Arc::strong_count(l) > 1);
        fetching.entry(file_id.to_owned()).or_default().clone()
    };
    let _fetching = lock.lock().await;
    if matches!(core.store.received_file(Platform::WeCom, file_id).await, Ok(Some(_))) {
        return true;
    }
    let (Some(url), Some(key)) = (item["url"].as_str(), item["aeskey"].as_str()) else { return false };
    match fetch(http, url, key).await {
        Ok((name, bytes)) => {
            let name = name.unwrap_or_else(|| default_name.to_owned());
            match core.store.put_received_file(Platform::WeCom, file_id, &name, &bytes, core.now()).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::error!(error = %e, "could not keep a WeCom file");
                    false
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, "could not fetch a file sent on WeCom");
            false
        }
    }
}

/// Uploads a file (`kind`: `image` or `file`) and gives its media id.
pub async fn upload(link: &Link, kind: &str, name: &str, bytes: &[u8]) -> Result<String, LinkError> {
    use md5::Digest;
    let chunks: Vec<&[u8]> = bytes.chunks(CHUNK).collect();
    if chunks.len() > MOST_CHUNKS || chunks.is_empty() {
        return Err(LinkError::Refused {
            code: 0,
            message: format!("{} bytes cannot be uploaded", bytes.len()),
        });
    }
    let md5 = md5::Md5::digest(bytes).iter().map(|b| format!("{b:02x}")).collect::<String>();
    let init = json!({
        "type": kind, "filename": name, "total_size": bytes.len(), "total_chunks": chunks.len(), "md5": md5,
    });
    let answer =
        link.request("aibot_upload_media_init", &Link::fresh_req_id("aibot_upload_media_init"), init).await?;
    let Some(upload_id) = answer["upload_id"].as_str().filter(|u| !u.is_empty()).map(str::to_owned) else {
        return Err(LinkError::Refused { code: 0, message: "no upload_id in the answer".into() });
    };
    for (index, chunk) in chunks.iter().enumerate() {
        let body = json!({
            "upload_id": upload_id,
            "chunk_index": index,
            "base64_data": base64::engine::general_purpose::STANDARD.encode(chunk),
        });
        link.request("aibot_upload_media_chunk", &Link::fresh_req_id("aibot_upload_media_chunk"), body)
            .await?;
    }
    let body = json!({ "upload_id": upload_id });
    let done = link
        .request("aibot_upload_media_finish", &Link::fresh_req_id("aibot_upload_media_finish"), body)
        .await?;
    done["media_id"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| LinkError::Refused { code: 0, message: "no media_id in the answer".into() })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap_or(0)).collect()
    }

    /// The vector checked against openssl and the SDK's own algorithm (key 0x00..0x1f).
    #[test]
    fn a_file_encrypted_as_wecom_does_decrypts_with_its_key_padded_or_not() {
        let encrypted = hex("6c18ef7939e6c90b61105034be4971e0bc934565924a5ed562eeb5da8c771a03");
        let key = "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=";
        assert_eq!(decrypt(&encrypted, key).as_deref(), Ok(&b"hello wecom"[..]));
        assert_eq!(decrypt(&encrypted, key.trim_end_matches('=')).as_deref(), Ok(&b"hello wecom"[..]));
    }

    #[test]
    fn a_wrong_key_or_broken_data_is_an_error_not_garbage() {
        let encrypted = hex("6c18ef7939e6c90b61105034be4971e0bc934565924a5ed562eeb5da8c771a03");
        let other = base64::engine::general_purpose::STANDARD.encode([7u8; 32]);
        assert!(decrypt(&encrypted, &other).is_err());
        assert!(decrypt(&encrypted[..20], "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=").is_err());
        assert!(decrypt(&encrypted, "c2hvcnQ=").is_err());
    }

    #[test]
    fn the_file_name_is_read_from_content_disposition() {
        assert_eq!(
            file_name("attachment; filename*=UTF-8''%E6%94%BF%E7%AD%96.pdf").as_deref(),
            Some("政策.pdf")
        );
        assert_eq!(file_name("attachment; filename=\"a.docx\"").as_deref(), Some("a.docx"));
        assert_eq!(file_name("inline"), None);
    }
}
