//! A check-in's photo: from the database once kept, else fetched from the platform that holds
//! it (Telegram's file id, DingTalk's download code), kept, and shown. Every view is audited as
//! done on the web.

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::core_error;
use crate::notices::MediaKind;
use crate::tally::views::{Photo, keep_photo, photo as find_photo};
use crate::texts::web as texts;
use crate::web::auth::Viewer;
use crate::web::{Web, WebError};

/// The image type of a photo's bytes, from their first bytes (platforms send JPEG or PNG;
/// anything else is offered as a download rather than shown).
pub fn content_type(bytes: &[u8]) -> &'static str {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => "image/jpeg",
        [0x89, b'P', b'N', b'G', ..] => "image/png",
        [b'G', b'I', b'F', b'8', ..] => "image/gif",
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => "image/webp",
        _ => "application/octet-stream",
    }
}

pub async fn photo(
    viewer: Viewer,
    State(web): State<Web>,
    Path(id): Path<String>,
) -> Result<Response, WebError> {
    let id: i64 = id
        .parse()
        .ok()
        .filter(|n| *n > 0)
        .ok_or_else(|| WebError::new(StatusCode::NOT_FOUND, texts::NO_PHOTO.to_owned()))?;
    let actor = viewer.actor();
    let found = photo_for(&web, &actor, id).await?;
    let (kind, bytes) = match found {
        Photo::Kept(kind, bytes) => (kind, bytes),
        Photo::AtPlatform(platform, file_id) => {
            let source = web.files.get(&platform).ok_or_else(|| {
                WebError::new(StatusCode::SERVICE_UNAVAILABLE, texts::NO_PLATFORM_FOR_PHOTO.to_owned())
            })?;
            let (_, bytes) = source.fetch(MediaKind::Photo, &file_id).await.map_err(|e| {
                tracing::warn!(checkin = id, %platform, error = %e, "a check-in's photo could not be fetched");
                WebError::new(StatusCode::BAD_GATEWAY, texts::PHOTO_UNAVAILABLE.to_owned())
            })?;
            let kind = content_type(&bytes).to_owned();
            keep_photo(&web.core, id, &kind, &bytes).await.map_err(|e| core_error(&web, e))?;
            (kind, bytes)
        }
    };
    crate::audit::record(&web.core, &actor, "photo_view", &format!("网页：查看登记 #{id} 的照片"))
        .await
        .map_err(|e| core_error(&web, e))?;
    let disposition = if kind.starts_with("image/") { "inline" } else { "attachment" };
    Ok(([(header::CONTENT_TYPE, kind), (header::CONTENT_DISPOSITION, disposition.to_owned())], bytes)
        .into_response())
}

async fn photo_for(web: &Web, actor: &crate::members::Actor, id: i64) -> Result<Photo, WebError> {
    find_photo(&web.core, actor, id).await.map_err(|e| match e {
        crate::Error::User(crate::UserError::NotYourCheckin(_)) => {
            WebError::new(StatusCode::NOT_FOUND, texts::NO_PHOTO.to_owned())
        }
        e => core_error(web, e),
    })
}
