//! Helpers shared by the contract tests.

use hearth_core::time::unix_now;
use hearth_core::{Role, SessionId, TenantId, User};
use hearth_db::{NewSession, NewUser, RoleRule, Store};
use hearth_testkit::{Backend, TestDatabase};

/// A fresh, migrated database on `backend`.
pub(crate) async fn migrated(backend: Backend) -> (TestDatabase, Store) {
    let db = TestDatabase::create(backend).await;
    let store = Store::connect(&db.target(), &db.settings())
        .await
        .expect("connect");
    store.migrate().await.expect("migrate");
    (db, store)
}

pub(crate) fn new_user(email: &str, role: RoleRule) -> NewUser<'_> {
    NewUser {
        tenant_id: TenantId::DEFAULT,
        email,
        name: "Someone",
        password_hash: Some("$argon2id$x"),
        role,
    }
}

pub(crate) async fn user(store: &Store, email: &str, role: Role) -> User {
    store
        .create_user(new_user(email, RoleRule::Exactly(role)), unix_now())
        .await
        .expect("create user")
}

pub(crate) async fn session(store: &Store, user: &User, expires_at: i64) -> SessionId {
    let id = SessionId::new();
    let new = NewSession {
        id,
        tenant_id: user.tenant_id,
        user_id: user.id,
        expires_at,
        user_agent: Some("test"),
    };
    store
        .create_session(new, unix_now())
        .await
        .expect("create session");
    id
}
