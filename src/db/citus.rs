//! The citus tier (DESIGN.md §10): where the worker nodes are and how stockdb's tables are
//! spread over them, for `stockdb status`. The distribution itself is migration V34.

use anyhow::Result;
use serde::Serialize;
use sqlx::PgConnection;

/// A node that holds shards: a worker, or the coordinator when it holds some too.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Node {
    pub host: String,
    pub port: i32,
    pub coordinator: bool,
    /// Shards (and reference-table copies) of stockdb's tables on the node.
    pub shards: i64,
    pub bytes: i64,
}

/// One of stockdb's tables in Citus' metadata.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Table {
    pub name: String,
    /// `distributed`, `reference` or `local`.
    pub kind: String,
    /// The distribution column (`<none>` for reference tables).
    pub column_name: String,
    /// Tables of one co-location group keep a symbol's rows on one node.
    pub colocation: i32,
    pub shards: i64,
    /// `heap` or `columnar`.
    pub access_method: Option<String>,
}

/// The cluster as stockdb's tables see it.
#[derive(Debug, Clone, Serialize)]
pub struct Layout {
    pub nodes: Vec<Node>,
    pub tables: Vec<Table>,
}

/// Reads the layout; call only on the citus tier.
pub async fn layout(conn: &mut PgConnection) -> Result<Layout> {
    let nodes = sqlx::query_as(include_str!("sql/citus_nodes.sql"))
        .fetch_all(&mut *conn)
        .await?;
    let tables = sqlx::query_as(include_str!("sql/citus_tables.sql"))
        .fetch_all(&mut *conn)
        .await?;
    Ok(Layout { nodes, tables })
}
