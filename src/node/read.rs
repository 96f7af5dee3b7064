//! The read side of a node: the log in the C2SP tlog-tiles layout (docs/FORMAT.md §16), made
//! from the ledger file on request, as `dledger publish` writes it. Tiles are served up to the
//! latest stored checkpoint; a full tile never changes and is served as immutable.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use tlog::{TILE_HEIGHT, TILE_WIDTH, Tile, TilePath};

use super::{Node, error};
use crate::store::Store;
use crate::tiles::{self, CHANGING, IMMUTABLE};

/// `GET /checkpoint`: the latest stored checkpoint note, with its signatures.
pub(crate) async fn checkpoint(State(node): State<Arc<Node>>) -> Response {
    blocking(move || match latest(&node.store) {
        Ok(Some((_, note))) => bytes(note, CHANGING, "text/plain; charset=utf-8"),
        Ok(None) => error(
            StatusCode::NOT_FOUND,
            "this log has no checkpoint yet; the operator signs one after the first entry",
        ),
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    })
    .await
}

/// `GET /tile/<L>/<N>[.p/<W>]` and `GET /tile/entries/<N>[.p/<W>]`.
pub(crate) async fn tile(State(node): State<Arc<Node>>, Path(path): Path<String>) -> Response {
    let full = format!("tile/{path}");
    blocking(move || match tlog::parse_tile_path(&full) {
        Ok(TilePath::Hashes(tile)) => serve(&node.store, tile, hash_tile),
        Ok(TilePath::Entries(tile)) => serve(&node.store, tile, |s, t| bundle(s, t, false)),
        Err(e) => error(StatusCode::NOT_FOUND, e.to_string()),
    })
    .await
}

/// `GET /dledger/signatures/<N>[.p/<W>]`: each entry's 64-byte signature, in the tiling of the
/// entry bundles.
pub(crate) async fn signatures(
    State(node): State<Arc<Node>>,
    Path(path): Path<String>,
) -> Response {
    let as_entries = format!("tile/entries/{path}");
    blocking(move || match tlog::parse_tile_path(&as_entries) {
        Ok(TilePath::Entries(tile)) => serve(&node.store, tile, |s, t| bundle(s, t, true)),
        _ => error(
            StatusCode::NOT_FOUND,
            format!("dledger/signatures/{path} is not a signature bundle path"),
        ),
    })
    .await
}

/// Runs `f` on the blocking pool (the file is read synchronously).
async fn blocking(f: impl FnOnce() -> Response + Send + 'static) -> Response {
    tokio::task::spawn_blocking(f).await.unwrap_or_else(|e| {
        error(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("the request failed: {e}"),
        )
    })
}

/// The latest stored checkpoint of a non-empty tree, with its size.
pub(crate) fn latest(store: &Store) -> Result<Option<(u64, Vec<u8>)>, crate::store::StoreError> {
    Ok(store
        .checkpoints()?
        .into_iter()
        .rfind(|(size, _)| *size > 0))
}

/// Serves `tile` if the latest checkpoint covers it, with `make`.
fn serve(
    store: &Store,
    tile: Tile,
    make: impl FnOnce(&Store, Tile) -> Result<Vec<u8>, String>,
) -> Response {
    let size = match latest(store) {
        Ok(Some((size, _))) => size,
        Ok(None) => 0,
        Err(e) => return error(StatusCode::INTERNAL_SERVER_ERROR, e.to_string()),
    };
    // Hashes at this tile's level in the tree of `size` entries.
    let shift = u32::from(tile.level) * TILE_HEIGHT;
    let available = if shift >= 64 { 0 } else { size >> shift };
    let end = tile
        .index
        .checked_mul(TILE_WIDTH)
        .and_then(|s| s.checked_add(u64::from(tile.width)));
    if end.is_none_or(|end| end > available) {
        return error(
            StatusCode::NOT_FOUND,
            format!(
                "the log's latest checkpoint (size {size}) does not cover {}",
                tile.path()
            ),
        );
    }
    match make(store, tile) {
        Ok(body) => {
            let cache = if tile.is_full() { IMMUTABLE } else { CHANGING };
            bytes(body, cache, "application/octet-stream")
        }
        Err(e) => error(StatusCode::INTERNAL_SERVER_ERROR, e),
    }
}

/// A hash tile, as `make` for [`serve`].
fn hash_tile(store: &Store, tile: Tile) -> Result<Vec<u8>, String> {
    tiles::hash_tile(store, tile).map_err(|e| e.to_string())
}

/// An entry bundle or, with `signatures`, the signature bundle of the same entries.
fn bundle(store: &Store, tile: Tile, signatures: bool) -> Result<Vec<u8>, String> {
    let b = tiles::bundle(store, tile).map_err(|e| e.to_string())?;
    Ok(if signatures { b.signatures } else { b.entries })
}

fn bytes(body: Vec<u8>, cache: &'static str, content_type: &'static str) -> Response {
    (
        [
            (header::CACHE_CONTROL, cache),
            (header::CONTENT_TYPE, content_type),
        ],
        body,
    )
        .into_response()
}
