//! Knowledge on every backend: knowledge bases and their files, ingestion records, passages
//! replaced (never duplicated) per file, and each backend's full-text search over them.

use hearth_core::connection::AccessList;
use hearth_core::knowledge::IngestStatus;
use hearth_core::{FileId, Role, TenantId};
use hearth_db::{KnowledgePatch, NewKnowledge, NewPassage, NewUpload};
use hearth_testkit::{Backend, each_backend};

use crate::common::{migrated, user};

fn passage(text: &str, page: Option<u32>, heading: Option<&str>) -> NewPassage {
    NewPassage {
        text: text.into(),
        page,
        heading: heading.map(str::to_owned),
    }
}

async fn knowledge_bases_hold_files(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.com", Role::User).await;
    let kb = store
        .create_knowledge(
            NewKnowledge {
                tenant_id: TenantId::DEFAULT,
                user_id: ada.id,
                name: "Lighthouses".into(),
                description: "Manuals".into(),
                read_access: AccessList::default(),
                write_access: AccessList::default(),
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        store.list_knowledge(TenantId::DEFAULT).await.unwrap(),
        std::slice::from_ref(&kb)
    );
    let (a, b) = (FileId::new(), FileId::new());
    store
        .add_knowledge_files(TenantId::DEFAULT, kb.id, &[a, b], 11)
        .await
        .unwrap();
    // Adding again changes nothing.
    store
        .add_knowledge_files(TenantId::DEFAULT, kb.id, &[a], 12)
        .await
        .unwrap();
    assert_eq!(store.knowledge_file_ids(kb.id).await.unwrap(), [a, b]);
    assert_eq!(store.knowledge_ids_of_file(b).await.unwrap(), [kb.id]);
    assert!(
        store
            .remove_knowledge_file(TenantId::DEFAULT, kb.id, a, 13)
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_knowledge_file(TenantId::DEFAULT, kb.id, a, 13)
            .await
            .unwrap()
    );
    let renamed = store
        .update_knowledge(
            TenantId::DEFAULT,
            kb.id,
            KnowledgePatch {
                name: Some("Coast".into()),
                ..KnowledgePatch::default()
            },
            14,
        )
        .await
        .unwrap();
    assert_eq!(
        (renamed.name.as_str(), renamed.description.as_str()),
        ("Coast", "Manuals")
    );
    // Another tenant sees nothing.
    let other = TenantId::new();
    assert!(store.knowledge(other, kb.id).await.unwrap().is_none());
    assert!(
        store
            .add_knowledge_files(other, kb.id, &[a], 15)
            .await
            .is_err()
    );
    assert_eq!(
        store
            .delete_knowledge(TenantId::DEFAULT, kb.id)
            .await
            .unwrap(),
        Some(vec![b])
    );
    assert_eq!(
        store
            .delete_knowledge(TenantId::DEFAULT, kb.id)
            .await
            .unwrap(),
        None
    );
    assert!(store.knowledge_ids_of_file(b).await.unwrap().is_empty());
}

async fn passages_are_replaced_and_searched(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let t = TenantId::DEFAULT;
    let (manual, recipes) = (FileId::new(), FileId::new());
    store
        .set_ingestion(t, manual, IngestStatus::Processing, None, 1)
        .await
        .unwrap();
    let first = [
        passage(
            "The lamp room is reached by a spiral staircase of 117 steps.",
            Some(1),
            None,
        ),
        passage(
            "The lighthouse keeper's cat is named Bartholomew Quince.",
            Some(3),
            Some("Residents"),
        ),
    ];
    assert_eq!(
        store
            .replace_passages(t, manual, &first, "minilm", 2)
            .await
            .unwrap(),
        0
    );
    // Re-running ingestion replaces instead of adding.
    assert_eq!(
        store
            .replace_passages(t, manual, &first, "minilm", 3)
            .await
            .unwrap(),
        2
    );
    store
        .replace_passages(
            t,
            recipes,
            &[passage(
                "Knead the rye dough for ten minutes.",
                None,
                Some("Bread"),
            )],
            "minilm",
            3,
        )
        .await
        .unwrap();
    assert_eq!(store.count_passages(&[manual, recipes]).await.unwrap(), 3);
    let record = &store.ingestion(&[manual]).await.unwrap()[&manual];
    assert_eq!((record.status, record.passages), (IngestStatus::Ready, 2));
    assert_eq!(record.embedding_model.as_deref(), Some("minilm"));

    let hits = store
        .full_text_search(
            t,
            &[manual, recipes],
            "What is the name of the keeper's cat?",
            5,
        )
        .await
        .unwrap();
    assert_eq!(
        hits.first().map(|h| h.0.as_str()),
        Some(format!("{manual}:1").as_str()),
        "{hits:?}"
    );
    // Only the files asked for, only the tenant asked for.
    assert!(
        store
            .full_text_search(t, &[recipes], "keeper cat Quince", 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .full_text_search(TenantId::new(), &[manual], "keeper cat Quince", 5)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .full_text_search(t, &[manual], "?!", 5)
            .await
            .unwrap()
            .is_empty()
    );
    let stored = store
        .passages_by_ids(t, &[format!("{manual}:1"), "gone:0".into()])
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(
        (stored[0].page, stored[0].heading.as_deref()),
        (Some(3), Some("Residents"))
    );

    // A shorter re-ingestion leaves no stale passage behind, in the table or the index.
    store
        .replace_passages(t, manual, &first[..1], "minilm", 4)
        .await
        .unwrap();
    assert_eq!(store.passages_of_file(manual).await.unwrap().len(), 1);
    assert!(
        store
            .full_text_search(t, &[manual], "Bartholomew Quince", 5)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn deleting_a_file_forgets_its_knowledge(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.com", Role::User).await;
    let t = TenantId::DEFAULT;
    let file = store
        .create_upload(
            NewUpload {
                tenant_id: t,
                user_id: ada.id,
                folder_id: None,
                filename: "a.md".into(),
                content_type: "text/markdown".into(),
                length: Some(3),
                upload_metadata: None,
                chunk_size: 10,
                expires_at: 1_000,
                default_quota: None,
            },
            1,
        )
        .await
        .unwrap();
    store
        .replace_passages(
            t,
            file.id,
            &[passage("searchable words", None, None)],
            "m",
            2,
        )
        .await
        .unwrap();
    let kb = store
        .create_knowledge(
            NewKnowledge {
                tenant_id: t,
                user_id: ada.id,
                name: "K".into(),
                description: String::new(),
                read_access: AccessList::default(),
                write_access: AccessList::default(),
            },
            2,
        )
        .await
        .unwrap();
    store
        .add_knowledge_files(t, kb.id, &[file.id], 3)
        .await
        .unwrap();
    store
        .delete_file(t, Some(ada.id), file.id, 4)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(store.count_passages(&[file.id]).await.unwrap(), 0);
    assert!(store.ingestion(&[file.id]).await.unwrap().is_empty());
    assert!(store.knowledge_file_ids(kb.id).await.unwrap().is_empty());
    assert!(
        store
            .full_text_search(t, &[file.id], "searchable", 5)
            .await
            .unwrap()
            .is_empty()
    );
}

each_backend!(
    knowledge_bases_hold_files,
    passages_are_replaced_and_searched,
    deleting_a_file_forgets_its_knowledge,
);
