//! Product categories: a tree through `parent_id`.

use std::collections::HashMap;

use serde::Serialize;
use sqlx::{PgExecutor, PgPool};
use uuid::Uuid;

use crate::{StoreError, StoreResult, new_id};

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct Category {
    pub id: Uuid,
    pub parent_id: Option<Uuid>,
    pub name: String,
}

/// A category with its sub-categories, as `GET /v1/categories` returns them.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CategoryNode {
    pub id: Uuid,
    pub name: String,
    #[schema(no_recursion)]
    pub children: Vec<CategoryNode>,
}

pub async fn insert(
    db: impl PgExecutor<'_>,
    name: &str,
    parent_id: Option<Uuid>,
) -> StoreResult<Category> {
    sqlx::query_as("INSERT INTO categories (id, parent_id, name) VALUES ($1, $2, $3) RETURNING id, parent_id, name")
        .bind(new_id())
        .bind(parent_id)
        .bind(name)
        .fetch_one(db)
        .await
        .map_err(StoreError::from_sqlx)
}

pub async fn exists(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<bool> {
    Ok(
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM categories WHERE id = $1)")
            .bind(id)
            .fetch_one(db)
            .await?,
    )
}

/// Every category, siblings sorted by name (there are few: a catalogue's taxonomy).
pub async fn all(pool: &PgPool) -> StoreResult<Vec<Category>> {
    Ok(
        sqlx::query_as("SELECT id, parent_id, name FROM categories ORDER BY lower(name), id")
            .fetch_all(pool)
            .await?,
    )
}

/// The whole tree, siblings sorted by name.
pub async fn tree(pool: &PgPool) -> StoreResult<Vec<CategoryNode>> {
    Ok(build_tree(all(pool).await?))
}

fn build_tree(all: Vec<Category>) -> Vec<CategoryNode> {
    let mut children: HashMap<Option<Uuid>, Vec<Category>> = HashMap::new();
    for category in all {
        children
            .entry(category.parent_id)
            .or_default()
            .push(category);
    }
    fn attach(
        parent: Option<Uuid>,
        children: &mut HashMap<Option<Uuid>, Vec<Category>>,
    ) -> Vec<CategoryNode> {
        children
            .remove(&parent)
            .unwrap_or_default()
            .into_iter()
            .map(|c| CategoryNode {
                id: c.id,
                name: c.name,
                children: attach(Some(c.id), children),
            })
            .collect()
    }
    attach(None, &mut children)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_become_a_nested_tree_in_order() {
        let (root, child, other) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let rows = vec![
            Category {
                id: root,
                parent_id: None,
                name: "Fashion".into(),
            },
            Category {
                id: other,
                parent_id: None,
                name: "Food".into(),
            },
            Category {
                id: child,
                parent_id: Some(root),
                name: "Shoes".into(),
            },
        ];
        let tree = build_tree(rows);
        assert_eq!(
            tree.iter().map(|n| n.name.as_str()).collect::<Vec<_>>(),
            ["Fashion", "Food"]
        );
        assert_eq!(tree[0].children[0].id, child);
        assert!(tree[1].children.is_empty());
    }
}
