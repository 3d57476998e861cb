//! Groups, stored connections and per-model settings.

use hearth_core::connection::{AccessList, ConnectionKind, ModelOverride};
use hearth_core::time::unix_now;
use hearth_core::{ConnectionId, Role, TenantId, UserId};
use hearth_db::{ConnectionPatch, DbError, StoredConnection};
use hearth_testkit::{Backend, each_backend};
use serde_json::json;

use crate::common::{migrated, user};

const T: TenantId = TenantId::DEFAULT;

async fn groups_hold_members_of_the_tenant(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let (ada, bob) = (
        user(&store, "ada@example.org", Role::User).await,
        user(&store, "bob@example.org", Role::User).await,
    );
    let now = unix_now();
    let team = store
        .create_group(T, "Research", "the lab", now)
        .await
        .unwrap();
    assert!(matches!(
        store.create_group(T, "Research", "", now).await,
        Err(DbError::Conflict(_))
    ));
    let team = store
        .set_group_members(T, team.id, &[ada.id, bob.id, ada.id], now)
        .await
        .unwrap();
    assert_eq!(team.member_ids.len(), 2, "duplicates collapse");
    assert!(matches!(
        store
            .set_group_members(T, team.id, &[UserId::new()], now)
            .await,
        Err(DbError::NotFound("user"))
    ));
    assert_eq!(
        store
            .group(T, team.id)
            .await
            .unwrap()
            .unwrap()
            .member_ids
            .len(),
        2,
        "a failed change changes nothing"
    );
    assert_eq!(store.user_group_ids(T, ada.id).await.unwrap(), [team.id]);

    let renamed = store
        .update_group(T, team.id, Some("Lab"), None, now)
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.description.as_str()),
        ("Lab", "the lab")
    );
    assert_eq!(store.list_groups(T).await.unwrap().len(), 1);

    store.delete_user(T, bob.id, now).await.unwrap();
    assert_eq!(
        store.group(T, team.id).await.unwrap().unwrap().member_ids,
        [ada.id],
        "deleted users leave their groups"
    );
    assert!(store.delete_group(T, team.id).await.unwrap());
    assert!(store.user_group_ids(T, ada.id).await.unwrap().is_empty());
    assert!(
        store
            .group(TenantId::new(), team.id)
            .await
            .unwrap()
            .is_none()
    );
}

async fn connections_are_stored_and_changed(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let now = unix_now();
    let new = StoredConnection {
        id: ConnectionId::new(),
        kind: ConnectionKind::Openai,
        name: "vLLM".into(),
        base_url: "http://127.0.0.1:9/v1".into(),
        api_key_encrypted: Some("v1:ciphertext".into()),
        prefix: Some("lab".into()),
        model_allow_list: vec!["llama".into()],
        enabled: true,
        created_at: now,
        updated_at: now,
    };
    store.create_connection(T, new.clone()).await.unwrap();
    assert_eq!(
        store.list_connections(T).await.unwrap(),
        std::slice::from_ref(&new)
    );
    let patch = ConnectionPatch {
        enabled: Some(false),
        prefix: Some(None),
        model_allow_list: Some(vec![]),
        ..Default::default()
    };
    let changed = store
        .update_connection(T, new.id, patch, now + 1)
        .await
        .unwrap();
    assert_eq!(
        (
            changed.enabled,
            changed.prefix.clone(),
            changed.model_allow_list.len()
        ),
        (false, None, 0)
    );
    assert_eq!(
        changed.api_key_encrypted, new.api_key_encrypted,
        "untouched fields stay"
    );
    assert!(matches!(
        store
            .update_connection(TenantId::new(), new.id, ConnectionPatch::default(), now)
            .await,
        Err(DbError::NotFound("connection"))
    ));
    assert!(store.delete_connection(T, new.id).await.unwrap());
    assert!(store.list_connections(T).await.unwrap().is_empty());
}

async fn model_settings_are_replaced_not_duplicated(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let now = unix_now();
    let mut settings = ModelOverride {
        model_id: "lab.llama".into(),
        display_name: Some("Llama".into()),
        hidden: false,
        access: Some(AccessList::default()),
        system_prompt: Some("Be brief.".into()),
        params: json!({"temperature": 0.2}).as_object().unwrap().clone(),
    };
    store.put_model_override(T, &settings, now).await.unwrap();
    settings.hidden = true;
    settings.access = None;
    store
        .put_model_override(T, &settings, now + 1)
        .await
        .unwrap();
    assert_eq!(store.model_overrides(T).await.unwrap(), [settings.clone()]);
    assert!(store.delete_model_override(T, "lab.llama").await.unwrap());
    assert!(store.model_overrides(T).await.unwrap().is_empty());
}

each_backend!(
    groups_hold_members_of_the_tenant,
    connections_are_stored_and_changed,
    model_settings_are_replaced_not_duplicated
);
