//! The drive's reference protocol on every backend: claims, acknowledgements guarded by the upload's
//! token and offset, quotas reserved atomically, references released on take-over and delete, and
//! collection only of unreferenced chunks.

use hearth_core::drive::{ChunkRef, FileState};
use hearth_core::{Role, TenantId};
use hearth_db::{Claim, Completion, DbError, NewUpload, Progress};
use hearth_testkit::{Backend, each_backend};

use crate::common::{migrated, user};

fn upload(user: hearth_core::UserId, length: Option<u64>, quota: Option<u64>) -> NewUpload {
    NewUpload {
        tenant_id: TenantId::DEFAULT,
        user_id: user,
        folder_id: None,
        filename: "a.bin".into(),
        content_type: "application/octet-stream".into(),
        length,
        upload_metadata: None,
        chunk_size: 10,
        expires_at: 1_000,
        default_quota: quota,
    }
}

fn chunk(seq: u32, hash: &str) -> ChunkRef {
    ChunkRef {
        seq,
        hash: hash.into(),
        size: 10,
    }
}

fn progress(from: u64, to: u64, stored: &[&str]) -> Progress {
    Progress {
        from_offset: from,
        to_offset: to,
        tail_key: None,
        stored: stored.iter().map(|s| (*s).to_owned()).collect(),
        reserve: 0,
        default_quota: None,
        expires_at: None,
    }
}

async fn chunks_are_claimed_acknowledged_released_and_collected(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let t = TenantId::DEFAULT;
    let file = store
        .create_upload(upload(ada.id, Some(25), None), 1)
        .await
        .unwrap();
    assert_eq!(file.state, FileState::Uploading);
    let (_, token) = store
        .take_upload(t, ada.id, file.id, 2)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .claim_chunk(t, file.id, token, &chunk(0, "aa"), 3)
            .await
            .unwrap(),
        Claim::NeedsPut
    );
    assert_eq!(
        store
            .claim_chunk(t, file.id, token, &chunk(1, "bb"), 3)
            .await
            .unwrap(),
        Claim::NeedsPut
    );
    store
        .record_progress(
            t,
            ada.id,
            file.id,
            token,
            &progress(0, 20, &["aa", "bb"]),
            4,
        )
        .await
        .unwrap();
    // A stale offset or a stale token is refused.
    let stale = store
        .record_progress(t, ada.id, file.id, token, &progress(0, 20, &[]), 4)
        .await;
    assert!(matches!(stale, Err(DbError::Conflict(_))), "{stale:?}");

    // A second file with the same first chunk finds it stored.
    let other = store
        .create_upload(upload(ada.id, Some(10), None), 5)
        .await
        .unwrap();
    let (_, other_token) = store
        .take_upload(t, ada.id, other.id, 5)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        store
            .claim_chunk(t, other.id, other_token, &chunk(0, "aa"), 6)
            .await
            .unwrap(),
        Claim::Stored
    );
    let done = Completion {
        progress: progress(0, 10, &[]),
        etag: "e".into(),
        content_type: "x/y".into(),
    };
    let ready = store
        .complete_upload(t, ada.id, other.id, other_token, &done, 7)
        .await
        .unwrap();
    assert_eq!((ready.state, ready.size()), (FileState::Ready, 10));

    // A claim past the acknowledged offset is released when the upload is taken over.
    assert_eq!(
        store
            .claim_chunk(t, file.id, token, &chunk(2, "cc"), 8)
            .await
            .unwrap(),
        Claim::NeedsPut
    );
    let (resumed, newer) = store
        .take_upload(t, ada.id, file.id, 9)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(resumed.offset, 20);
    let old = store
        .claim_chunk(t, file.id, token, &chunk(2, "cc"), 9)
        .await;
    assert!(
        matches!(old, Err(DbError::Conflict(_))),
        "the old token is refused: {old:?}"
    );
    let (rows, counted) = store.chunk_census().await.unwrap();
    let cc = rows.iter().find(|r| r.hash == "cc").unwrap();
    assert_eq!(cc.ref_count, 0);
    assert!(!counted.contains_key(&(t, "cc".to_owned())));
    let aa = rows.iter().find(|r| r.hash == "aa").unwrap();
    assert_eq!((aa.ref_count, aa.stored), (2, true));

    // Only the unreferenced chunk is collectable; a chunk being collected is not claimed.
    let collectable = store.collectable_chunks(100).await.unwrap();
    assert_eq!(
        collectable
            .iter()
            .map(|r| r.hash.as_str())
            .collect::<Vec<_>>(),
        ["cc"]
    );
    assert!(!store.begin_collecting(t, "aa", 10).await.unwrap());
    assert!(store.begin_collecting(t, "cc", 10).await.unwrap());
    assert_eq!(
        store
            .claim_chunk(t, file.id, newer, &chunk(2, "cc"), 11)
            .await
            .unwrap(),
        Claim::Collecting
    );
    store.finish_collecting(t, "cc").await.unwrap();
    assert_eq!(
        store
            .claim_chunk(t, file.id, newer, &chunk(2, "cc"), 12)
            .await
            .unwrap(),
        Claim::NeedsPut
    );

    // Deleting the unfinished file releases its references and its reserved quota.
    store
        .delete_file(t, Some(ada.id), file.id, 13)
        .await
        .unwrap()
        .unwrap();
    let (rows, counted) = store.chunk_census().await.unwrap();
    for row in &rows {
        assert_eq!(
            row.ref_count,
            counted.get(&(t, row.hash.clone())).copied().unwrap_or(0),
            "{row:?}"
        );
    }
    assert_eq!(rows.iter().find(|r| r.hash == "aa").unwrap().ref_count, 1);
    assert_eq!(store.storage_usage(t, ada.id).await.unwrap().used_bytes, 10);
}

async fn quotas_are_reserved_atomically(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let t = TenantId::DEFAULT;
    store
        .create_upload(upload(ada.id, Some(60), Some(100)), 1)
        .await
        .unwrap();
    let over = store
        .create_upload(upload(ada.id, Some(41), Some(100)), 1)
        .await;
    assert!(
        matches!(
            over,
            Err(DbError::QuotaExceeded {
                used: 60,
                quota: 100
            })
        ),
        "{over:?}"
    );
    store
        .create_upload(upload(ada.id, Some(40), Some(100)), 1)
        .await
        .unwrap();
    // An override beats the default; none (and no default) means no quota.
    store
        .set_storage_quota(t, ada.id, Some(1_000), 2)
        .await
        .unwrap();
    store
        .create_upload(upload(ada.id, Some(500), Some(100)), 3)
        .await
        .unwrap();
    store.set_storage_quota(t, ada.id, None, 4).await.unwrap();
    store
        .create_upload(upload(ada.id, Some(5_000), None), 5)
        .await
        .unwrap();
    assert_eq!(
        store.storage_usage(t, ada.id).await.unwrap().used_bytes,
        5_600
    );
    // Form uploads reserve as they go, and the whole step is refused when it does not fit.
    store
        .set_storage_quota(t, ada.id, Some(5_610), 6)
        .await
        .unwrap();
    let form = store
        .create_upload(upload(ada.id, None, None), 7)
        .await
        .unwrap();
    let (_, token) = store
        .take_upload(t, ada.id, form.id, 7)
        .await
        .unwrap()
        .unwrap();
    let mut step = progress(0, 20, &[]);
    step.reserve = 20;
    let refused = store
        .record_progress(t, ada.id, form.id, token, &step, 8)
        .await;
    assert!(
        matches!(refused, Err(DbError::QuotaExceeded { .. })),
        "{refused:?}"
    );
    assert_eq!(
        store
            .file(t, ada.id, form.id)
            .await
            .unwrap()
            .unwrap()
            .offset,
        0
    );
}

each_backend!(
    chunks_are_claimed_acknowledged_released_and_collected,
    quotas_are_reserved_atomically,
);
