//! `GET /field`: the field-report page for engineers' phones. One self-contained HTML file (no
//! external scripts or fonts: it must work on a site with a weak connection); it calls the same
//! API as everyone else, sending the browser's GPS position with every report.

use axum::http::header;
use axum::response::IntoResponse;

const PAGE: &str = include_str!("field.html");

pub async fn page() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        PAGE,
    )
}
