//! Accounts: users, roles, sessions, API keys, presence, migrations and concurrency.

use futures::future::join_all;
use hearth_core::time::unix_now;
use hearth_core::{ApiKeyId, Role, SessionId, TenantId, UserId};
use hearth_db::{DbError, NewApiKey, NewSession, NewUser, RoleRule, Store};
use hearth_testkit::{Backend, TestDatabase, each_backend};

use crate::common::{migrated, new_user, session, user};

async fn migrations_apply_once_and_rerun_as_no_op(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let store = Store::connect(&db.target(), &db.settings()).await.unwrap();
    assert!(!store.pending_migrations().await.unwrap().is_empty());
    let first = store.migrate().await.unwrap();
    assert!(!first.applied.is_empty());
    let second = store.migrate().await.unwrap();
    assert!(
        second.applied.is_empty(),
        "second run applied {:?}",
        second.applied
    );
    assert!(store.pending_migrations().await.unwrap().is_empty());
}

async fn concurrent_migrations_run_exactly_once(backend: Backend) {
    let db = TestDatabase::create(backend).await;
    let mut stores = Vec::new();
    for _ in 0..3 {
        stores.push(Store::connect(&db.target(), &db.settings()).await.unwrap());
    }
    let reports = join_all(stores.iter().map(Store::migrate)).await;
    let applied: Vec<usize> = reports
        .into_iter()
        .map(|r| r.unwrap().applied.len())
        .collect();
    assert_eq!(
        applied.iter().filter(|n| **n > 0).count(),
        1,
        "applied per process: {applied:?}"
    );
    // The default tenant was inserted once: creating a user in it works and the schema is complete.
    user(&stores[2], "after@example.org", Role::User).await;
}

async fn exactly_one_concurrent_first_signup_becomes_admin(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let emails: Vec<String> = (0..20).map(|i| format!("user{i}@example.org")).collect();
    let created = join_all(emails.iter().map(|email| {
        store.create_user(
            new_user(
                email,
                RoleRule::AdminIfFirst {
                    otherwise: Role::Pending,
                },
            ),
            unix_now(),
        )
    }))
    .await;
    let roles: Vec<Role> = created.into_iter().map(|u| u.unwrap().role).collect();
    assert_eq!(
        roles.iter().filter(|r| **r == Role::Admin).count(),
        1,
        "{roles:?}"
    );
    assert_eq!(roles.iter().filter(|r| **r == Role::Pending).count(), 19);
}

async fn emails_are_unique_per_tenant_ignoring_case(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let first = user(&store, "Ada@Example.org", Role::User).await;
    assert_eq!(first.email, "ada@example.org");
    let err = store
        .create_user(
            new_user("ada@example.ORG", RoleRule::Exactly(Role::User)),
            unix_now(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DbError::Conflict(m) if m.contains("already exists")),
        "{err:?}"
    );
    let (found, hash) = store
        .user_with_password_by_email(TenantId::DEFAULT, "ADA@example.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, first);
    assert_eq!(hash.as_deref(), Some("$argon2id$x"));
}

async fn rows_are_scoped_to_their_tenant(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let elsewhere = TenantId::new();
    assert_eq!(
        store.user_by_id(TenantId::DEFAULT, ada.id).await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(store.user_by_id(elsewhere, ada.id).await.unwrap(), None);
    assert!(
        store
            .user_with_password_by_email(elsewhere, "ada@example.org")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.list_users(elsewhere, 0, 10).await.unwrap().total, 0);
    let unknown_tenant = NewUser {
        tenant_id: elsewhere,
        ..new_user("x@example.org", RoleRule::Exactly(Role::User))
    };
    assert!(
        store.create_user(unknown_tenant, unix_now()).await.is_err(),
        "a user needs an existing tenant"
    );
}

async fn sessions_live_until_revoked_or_expired(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let now = unix_now();
    let live = session(&store, &ada, now + 3600).await;
    let expired = session(&store, &ada, now - 1).await;
    assert_eq!(
        store.session_user(live, now).await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(store.session_user(expired, now).await.unwrap(), None);
    assert_eq!(
        store.session_user(SessionId::new(), now).await.unwrap(),
        None
    );
    assert!(store.revoke_session(live).await.unwrap());
    assert!(
        !store.revoke_session(live).await.unwrap(),
        "revoking twice reports nothing to revoke"
    );
    assert_eq!(store.session_user(live, now).await.unwrap(), None);
    assert_eq!(store.purge_expired_sessions(now).await.unwrap(), 1);
}

async fn password_change_revokes_the_other_sessions(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let bob = user(&store, "bob@example.org", Role::User).await;
    let now = unix_now();
    let (current, other1, other2) = (
        session(&store, &ada, now + 60).await,
        session(&store, &ada, now + 60).await,
        session(&store, &ada, now + 60).await,
    );
    let bobs = session(&store, &bob, now + 60).await;
    let revoked = store
        .set_password(
            TenantId::DEFAULT,
            ada.id,
            "$argon2id$new",
            Some(current),
            now,
        )
        .await
        .unwrap();
    assert_eq!(revoked, 2);
    assert!(store.session_user(current, now).await.unwrap().is_some());
    assert!(store.session_user(other1, now).await.unwrap().is_none());
    assert!(store.session_user(other2, now).await.unwrap().is_none());
    assert!(
        store.session_user(bobs, now).await.unwrap().is_some(),
        "other users keep their sessions"
    );
    assert_eq!(
        store
            .password_hash(TenantId::DEFAULT, ada.id)
            .await
            .unwrap()
            .as_deref(),
        Some("$argon2id$new")
    );
    let missing = store
        .set_password(TenantId::DEFAULT, UserId::new(), "h", None, now)
        .await
        .unwrap_err();
    assert!(matches!(missing, DbError::NotFound("user")));
}

async fn the_last_admin_cannot_be_demoted_or_deleted(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let root = user(&store, "root@example.org", Role::Admin).await;
    let now = unix_now();
    let err = store
        .update_user(TenantId::DEFAULT, root.id, Some(Role::User), None, now)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DbError::Conflict(m) if m.contains("last administrator")),
        "{err:?}"
    );
    assert!(matches!(
        store.delete_user(TenantId::DEFAULT, root.id, now).await,
        Err(DbError::Conflict(_))
    ));

    let second = user(&store, "second@example.org", Role::User).await;
    let promoted = store
        .update_user(
            TenantId::DEFAULT,
            second.id,
            Some(Role::Admin),
            Some("Second"),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        (promoted.role, promoted.name.as_str()),
        (Role::Admin, "Second")
    );
    let demoted = store
        .update_user(TenantId::DEFAULT, root.id, Some(Role::User), None, now)
        .await
        .unwrap();
    assert_eq!(demoted.role, Role::User);
    assert_eq!(
        store
            .user_by_id(TenantId::DEFAULT, root.id)
            .await
            .unwrap()
            .unwrap()
            .role,
        Role::User
    );
    assert!(matches!(
        store
            .update_user(
                TenantId::DEFAULT,
                UserId::new(),
                Some(Role::User),
                None,
                now
            )
            .await,
        Err(DbError::NotFound("user"))
    ));
}

async fn deleting_a_user_removes_their_sessions_and_keys(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    user(&store, "root@example.org", Role::Admin).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let now = unix_now();
    let sid = session(&store, &ada, now + 60).await;
    let key = NewApiKey {
        id: ApiKeyId::new(),
        tenant_id: TenantId::DEFAULT,
        user_id: ada.id,
        name: "ci",
        key_prefix: "sk-hearth-ab",
        key_hash: "a".repeat(64).leak(),
    };
    store.create_api_key(key, now).await.unwrap();
    store
        .delete_user(TenantId::DEFAULT, ada.id, now)
        .await
        .unwrap();
    assert!(store.session_user(sid, now).await.unwrap().is_none());
    assert!(store.api_key_user(&"a".repeat(64)).await.unwrap().is_none());
    assert!(
        store
            .user_by_id(TenantId::DEFAULT, ada.id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn api_keys_are_found_by_digest_and_owned_by_their_user(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let bob = user(&store, "bob@example.org", Role::User).await;
    let now = unix_now();
    let digest = "b".repeat(64);
    let new = NewApiKey {
        id: ApiKeyId::new(),
        tenant_id: TenantId::DEFAULT,
        user_id: ada.id,
        name: "laptop",
        key_prefix: "sk-hearth-xy",
        key_hash: &digest,
    };
    let record = store.create_api_key(new, now).await.unwrap();
    let duplicate = NewApiKey {
        id: ApiKeyId::new(),
        ..new
    };
    assert!(matches!(
        store.create_api_key(duplicate, now).await,
        Err(DbError::Conflict(_))
    ));

    let (owner, id, last_used) = store.api_key_user(&digest).await.unwrap().unwrap();
    assert_eq!((owner.id, id, last_used), (ada.id, record.id, None));
    assert!(store.api_key_user(&"c".repeat(64)).await.unwrap().is_none());
    assert_eq!(
        store
            .list_api_keys(TenantId::DEFAULT, ada.id)
            .await
            .unwrap(),
        vec![record.clone()]
    );
    assert!(
        store
            .list_api_keys(TenantId::DEFAULT, bob.id)
            .await
            .unwrap()
            .is_empty()
    );

    assert!(store.touch_api_key(record.id, now, 60).await.unwrap());
    assert!(
        !store.touch_api_key(record.id, now + 30, 60).await.unwrap(),
        "throttled within the interval"
    );
    assert!(
        !store
            .delete_api_key(TenantId::DEFAULT, bob.id, record.id)
            .await
            .unwrap(),
        "bob cannot delete ada's key"
    );
    assert!(
        store
            .delete_api_key(TenantId::DEFAULT, ada.id, record.id)
            .await
            .unwrap()
    );
    assert!(store.api_key_user(&digest).await.unwrap().is_none());
}

async fn presence_writes_are_throttled(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let now = unix_now();
    assert!(store.touch_last_active(ada.id, now, 300).await.unwrap());
    assert!(
        !store
            .touch_last_active(ada.id, now + 299, 300)
            .await
            .unwrap()
    );
    assert!(
        store
            .touch_last_active(ada.id, now + 300, 300)
            .await
            .unwrap()
    );
    let stored = store
        .user_by_id(TenantId::DEFAULT, ada.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.last_active_at, Some(now + 300));
}

async fn users_are_listed_in_pages_with_a_total(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    for i in 0..5 {
        user(&store, &format!("u{i}@example.org"), Role::User).await;
    }
    let page = store.list_users(TenantId::DEFAULT, 2, 2).await.unwrap();
    assert_eq!(page.total, 5);
    let emails: Vec<&str> = page.users.iter().map(|u| u.email.as_str()).collect();
    assert_eq!(emails, ["u2@example.org", "u3@example.org"]);
}

async fn two_hundred_concurrent_writes_all_succeed(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let emails: Vec<String> = (0..200).map(|i| format!("writer{i}@example.org")).collect();
    let users = join_all(
        emails
            .iter()
            .map(|e| store.create_user(new_user(e, RoleRule::Exactly(Role::User)), unix_now())),
    )
    .await;
    let users: Vec<_> = users
        .into_iter()
        .map(|u| u.expect("concurrent insert"))
        .collect();
    let now = unix_now();
    let sessions = join_all(users.iter().map(|u| {
        let new = NewSession {
            id: SessionId::new(),
            tenant_id: u.tenant_id,
            user_id: u.id,
            expires_at: now + 60,
            user_agent: None,
        };
        store.create_session(new, now)
    }))
    .await;
    assert!(
        sessions.iter().all(Result::is_ok),
        "{:?}",
        sessions.iter().find(|r| r.is_err())
    );
    assert_eq!(
        store
            .list_users(TenantId::DEFAULT, 0, 1)
            .await
            .unwrap()
            .total,
        200
    );
}

async fn probes_report_health_and_pool_use(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    store.ping().await.unwrap();
    let stats = store.pool_stats();
    assert!(
        stats.max >= 1 && stats.idle + stats.in_use >= 1,
        "{stats:?}"
    );
    let limit = store.server_max_connections().await.unwrap();
    assert_eq!(limit.is_some(), backend != Backend::Sqlite);
}

each_backend!(
    migrations_apply_once_and_rerun_as_no_op,
    concurrent_migrations_run_exactly_once,
    exactly_one_concurrent_first_signup_becomes_admin,
    emails_are_unique_per_tenant_ignoring_case,
    rows_are_scoped_to_their_tenant,
    sessions_live_until_revoked_or_expired,
    password_change_revokes_the_other_sessions,
    the_last_admin_cannot_be_demoted_or_deleted,
    deleting_a_user_removes_their_sessions_and_keys,
    api_keys_are_found_by_digest_and_owned_by_their_user,
    presence_writes_are_throttled,
    users_are_listed_in_pages_with_a_total,
    two_hundred_concurrent_writes_all_succeed,
    probes_report_health_and_pool_use,
);

#[tokio::test]
async fn an_unreachable_server_is_reported_as_unavailable() {
    let target = hearth_config::DatabaseTarget::Postgres {
        url: hearth_config::Secret::new("postgres://postgres@127.0.0.1:1/none"),
    };
    let settings = hearth_config::DatabaseSettings {
        database_pool_timeout: 2,
        ..Default::default()
    };
    let err = Store::connect(&target, &settings).await.unwrap_err();
    assert!(
        matches!(&err, DbError::Unavailable(m) if m.contains("postgres")),
        "{err:?}"
    );
}

#[tokio::test]
async fn a_missing_sqlite_directory_is_named() {
    let target = hearth_config::DatabaseTarget::Sqlite {
        path: "/nonexistent/dir/hearth.db".into(),
    };
    let err = Store::connect(&target, &Default::default())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, DbError::Unavailable(m) if m.contains("/nonexistent/dir")),
        "{err:?}"
    );
}
