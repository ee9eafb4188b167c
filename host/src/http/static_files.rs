//! Serves a folder of static files (a small web app such as the demo page) as the router's fallback:
//! `GET /` answers `index.html`, `GET /a/b.js` the file `a/b.js` under the folder.
//!
//! It must never answer anything outside the folder: request paths with `..`, any segment starting
//! with a dot (hidden files), backslashes or NUL bytes are refused before the file system is asked,
//! and a resolved path (after symlinks) that leaves the folder is a 404 too. It never lists a folder.
//! Files are read whole into memory, which suits app bundles, not large downloads.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// Why a static folder cannot be served.
#[derive(Debug, thiserror::Error)]
pub enum StaticDirError {
    /// The folder does not exist or cannot be resolved.
    #[error("static folder {path} cannot be opened")]
    Open {
        /// The folder as configured.
        path: PathBuf,
        /// The I/O failure.
        #[source]
        source: io::Error,
    },
    /// The path exists but is not a folder.
    #[error("static path {path} is not a folder")]
    NotAFolder {
        /// The path as configured.
        path: PathBuf,
    },
}

/// A folder whose files are served over HTTP; cheap to clone.
#[derive(Debug, Clone)]
pub struct StaticFiles {
    /// The folder, canonical, so resolved file paths can be checked against it.
    root: Arc<PathBuf>,
}

impl StaticFiles {
    /// Opens `dir` for serving.
    ///
    /// # Errors
    /// [`StaticDirError`] when `dir` does not exist or is not a folder.
    pub fn open(dir: &Path) -> Result<Self, StaticDirError> {
        let root = std::fs::canonicalize(dir).map_err(|source| StaticDirError::Open {
            path: dir.to_owned(),
            source,
        })?;
        if !root.is_dir() {
            return Err(StaticDirError::NotAFolder {
                path: dir.to_owned(),
            });
        }
        Ok(Self {
            root: Arc::new(root),
        })
    }

    /// The canonical folder being served.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// Answers one request: the file, 404, or 405 for methods other than GET and HEAD.
    pub async fn serve(self, request: Request) -> Response {
        self.respond(request.method(), request.uri().path()).await
    }

    /// Answers `method` on the (still percent-encoded) URI path `path`.
    pub async fn respond(&self, method: &Method, path: &str) -> Response {
        if method != Method::GET && method != Method::HEAD {
            return (
                StatusCode::METHOD_NOT_ALLOWED,
                [(header::ALLOW, "GET, HEAD")],
            )
                .into_response();
        }
        let Some(relative) = relative_path(path) else {
            return not_found();
        };
        match self.read(&relative).await {
            Ok(Some(bytes)) => file_response(&relative, bytes),
            Ok(None) => not_found(),
            Err(error) => {
                tracing::warn!(path = %relative.display(), %error, "static file could not be read");
                StatusCode::INTERNAL_SERVER_ERROR.into_response()
            }
        }
    }

    /// The bytes of `relative` under the root; `None` when it is missing, not a plain file, or
    /// resolves (through a symlink) to somewhere outside the root.
    async fn read(&self, relative: &Path) -> io::Result<Option<Vec<u8>>> {
        let resolved = match tokio::fs::canonicalize(self.root.join(relative)).await {
            Ok(resolved) => resolved,
            Err(error) if is_absent(&error) => return Ok(None),
            Err(error) => return Err(error),
        };
        if !resolved.starts_with(self.root.as_path()) {
            return Ok(None);
        }
        match tokio::fs::metadata(&resolved).await {
            Ok(metadata) if metadata.is_file() => {}
            Ok(_) => return Ok(None),
            Err(error) if is_absent(&error) => return Ok(None),
            Err(error) => return Err(error),
        }
        match tokio::fs::read(&resolved).await {
            Ok(bytes) => Ok(Some(bytes)),
            Err(error) if is_absent(&error) => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// Errors that mean "no such file here" rather than a fault of the server.
fn is_absent(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory | io::ErrorKind::IsADirectory
    )
}

/// The file path a URI path names, relative to the root; `None` for anything that could leave the
/// root or reach a hidden file. A path ending in `/` (or `/` itself) names that folder's `index.html`.
fn relative_path(uri_path: &str) -> Option<PathBuf> {
    if !uri_path.starts_with('/') {
        return None;
    }
    // Decoding first means an encoded `%2e%2e` or `%2f` is judged like the plain characters.
    let decoded = percent_encoding::percent_decode_str(uri_path)
        .decode_utf8()
        .ok()?;
    if decoded.contains(['\0', '\\']) {
        return None;
    }
    let mut relative = PathBuf::new();
    for segment in decoded.split('/').filter(|segment| !segment.is_empty()) {
        if segment.starts_with('.') {
            return None;
        }
        relative.push(segment);
    }
    if decoded.ends_with('/') {
        relative.push("index.html");
    }
    Some(relative)
}

/// The `Content-Type` for a file name, by its extension.
fn content_type(path: &Path) -> &'static str {
    let extension = path
        .extension()
        .and_then(|extension| extension.to_str())
        .map(str::to_ascii_lowercase);
    match extension.as_deref() {
        Some("html" | "htm") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("map" | "json") => "application/json",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("ico") => "image/x-icon",
        Some("txt") => "text/plain; charset=utf-8",
        Some("wasm") => "application/wasm",
        _ => "application/octet-stream",
    }
}

fn file_response(relative: &Path, bytes: Vec<u8>) -> Response {
    let mut response = Response::new(Body::from(bytes));
    let headers = response.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(content_type(relative)),
    );
    // Browsers must not guess a script out of a file served as something else.
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    // Rebuilt bundles keep their names, so caches must ask again every time.
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    response
}

fn not_found() -> Response {
    (StatusCode::NOT_FOUND, "not found").into_response()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use http_body_util::BodyExt as _;

    fn site() -> (tempfile::TempDir, StaticFiles) {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("site");
        std::fs::create_dir_all(root.join("assets/sub")).unwrap();
        std::fs::write(root.join("index.html"), "<h1>home</h1>").unwrap();
        std::fs::write(root.join("app.js"), "console.log(1)").unwrap();
        std::fs::write(root.join("assets/style.css"), "body{}").unwrap();
        std::fs::write(root.join("assets/sub/index.html"), "sub").unwrap();
        std::fs::write(root.join(".env"), "SECRET=1").unwrap();
        std::fs::write(dir.path().join("outside.txt"), "outside").unwrap();
        let files = StaticFiles::open(&root).unwrap();
        (dir, files)
    }

    async fn get(files: &StaticFiles, path: &str) -> (StatusCode, Option<String>, String) {
        let response = files.respond(&Method::GET, path).await;
        let status = response.status();
        let kind = response
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|value| value.to_str().unwrap().to_owned());
        let body = response.into_body().collect().await.unwrap().to_bytes();
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_root_serves_index_html() {
        let (_dir, files) = site();
        let (status, kind, body) = get(&files, "/").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kind.as_deref(), Some("text/html; charset=utf-8"));
        assert_eq!(body, "<h1>home</h1>");
    }

    #[tokio::test]
    async fn files_get_the_content_type_of_their_extension() {
        let (_dir, files) = site();
        let (status, kind, body) = get(&files, "/app.js").await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(kind.as_deref(), Some("text/javascript; charset=utf-8"));
        assert_eq!(body, "console.log(1)");
        let (_, kind, _) = get(&files, "/assets/style.css").await;
        assert_eq!(kind.as_deref(), Some("text/css; charset=utf-8"));
        assert_eq!(content_type(Path::new("a.js.map")), "application/json");
        assert_eq!(content_type(Path::new("logo.SVG")), "image/svg+xml");
        assert_eq!(content_type(Path::new("logo.png")), "image/png");
        assert_eq!(content_type(Path::new("blob")), "application/octet-stream");
    }

    #[tokio::test]
    async fn a_folder_path_with_a_slash_serves_its_index_and_without_is_not_listed() {
        let (_dir, files) = site();
        assert_eq!(get(&files, "/assets/sub/").await.2, "sub");
        assert_eq!(get(&files, "/assets").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&files, "/assets/").await.0, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn missing_files_are_404() {
        let (_dir, files) = site();
        assert_eq!(get(&files, "/nope.js").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get(&files, "/app.js/more").await.0, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn escapes_and_hidden_files_are_refused() {
        let (_dir, files) = site();
        for path in [
            "/../outside.txt",
            "/assets/../../outside.txt",
            "/%2e%2e/outside.txt",
            "/%2E%2E%2Foutside.txt",
            "/assets/..%2f..%2foutside.txt",
            "/..%5coutside.txt",
            "/.env",
            "/%2eenv",
            "/app.js%00.png",
            "/%ff",
            "relative.txt",
        ] {
            let (status, _, body) = get(&files, path).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{path}");
            assert!(
                !body.contains("outside") && !body.contains("SECRET"),
                "{path}"
            );
        }
    }

    #[cfg(unix)]
    #[tokio::test]
    async fn a_symlink_out_of_the_folder_is_not_followed() {
        let (dir, files) = site();
        std::os::unix::fs::symlink(
            dir.path().join("outside.txt"),
            files.root().join("link.txt"),
        )
        .unwrap();
        assert_eq!(get(&files, "/link.txt").await.0, StatusCode::NOT_FOUND);
    }

    #[tokio::test]
    async fn other_methods_are_405_and_head_is_allowed() {
        let (_dir, files) = site();
        let response = files.respond(&Method::POST, "/app.js").await;
        assert_eq!(response.status(), StatusCode::METHOD_NOT_ALLOWED);
        assert_eq!(response.headers()[header::ALLOW], "GET, HEAD");
        let response = files.respond(&Method::HEAD, "/app.js").await;
        assert_eq!(response.status(), StatusCode::OK);
    }

    #[test]
    fn a_missing_or_plain_file_folder_is_refused_at_start() {
        let dir = tempfile::tempdir().unwrap();
        let missing = StaticFiles::open(&dir.path().join("missing")).unwrap_err();
        assert!(matches!(missing, StaticDirError::Open { .. }));
        std::fs::write(dir.path().join("file"), "x").unwrap();
        let file = StaticFiles::open(&dir.path().join("file")).unwrap_err();
        assert!(matches!(file, StaticDirError::NotAFolder { .. }));
    }
}
