//! Chats: ownership, the message tree and branches, listing, search, tags, shares and folders.

use hearth_core::chat::{MessageRole, MessageStatus, branch};
use hearth_core::time::unix_now;
use hearth_core::{MessageId, Role, TenantId};
use hearth_db::{ChatFilter, ChatPatch, DbError, MessageOutcome, NewMessage};
use hearth_testkit::{Backend, each_backend};
use serde_json::json;

use crate::common::{migrated, user};

const T: TenantId = TenantId::DEFAULT;

fn message(parent: Option<MessageId>, role: MessageRole, content: &str) -> NewMessage {
    NewMessage {
        id: MessageId::new(),
        parent_id: parent,
        role,
        content: content.to_owned(),
        model: (role == MessageRole::Assistant).then(|| "fake-model".to_owned()),
        status: MessageStatus::Complete,
    }
}

async fn chats_are_private_to_their_owner(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let (ada, bob) = (
        user(&store, "ada@example.org", Role::User).await,
        user(&store, "bob@example.org", Role::User).await,
    );
    let now = unix_now();
    let chat = store
        .create_chat(T, ada.id, "Secret plans", None, now)
        .await
        .unwrap();
    store
        .append_messages(
            T,
            ada.id,
            chat.id,
            &[message(None, MessageRole::User, "the plan is hidden")],
            now,
        )
        .await
        .unwrap();

    assert!(store.chat(T, bob.id, chat.id).await.unwrap().is_none());
    assert!(matches!(
        store
            .update_chat(
                T,
                bob.id,
                chat.id,
                ChatPatch {
                    title: Some("mine".into()),
                    ..Default::default()
                },
                now
            )
            .await,
        Err(DbError::NotFound("chat"))
    ));
    assert!(!store.delete_chat(T, bob.id, chat.id).await.unwrap());
    assert_eq!(
        store
            .list_chats(T, bob.id, &ChatFilter::default(), 0, 10)
            .await
            .unwrap()
            .total,
        0
    );
    assert_eq!(
        store
            .search_chats(T, bob.id, "plan", 0, 10)
            .await
            .unwrap()
            .total,
        0
    );
    assert!(matches!(
        store.add_chat_tag(T, bob.id, chat.id, "x").await,
        Err(DbError::NotFound("chat"))
    ));
    assert!(matches!(
        store
            .create_share(T, bob.id, chat.id, "share-1", &json!({}), now)
            .await,
        Err(DbError::NotFound("chat"))
    ));
    assert!(matches!(
        store
            .append_messages(
                T,
                bob.id,
                chat.id,
                &[message(None, MessageRole::User, "x")],
                now
            )
            .await,
        Err(DbError::NotFound("chat"))
    ));
    assert_eq!(
        store
            .chat(T, ada.id, chat.id)
            .await
            .unwrap()
            .unwrap()
            .1
            .len(),
        1,
        "bob changed nothing"
    );
}

async fn messages_form_a_tree_with_a_selected_branch(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let now = unix_now();
    let chat = store
        .create_chat(T, ada.id, "New Chat", None, now)
        .await
        .unwrap();
    let question = message(None, MessageRole::User, "What is 2+2?");
    let first = message(Some(question.id), MessageRole::Assistant, "4");
    store
        .append_messages(T, ada.id, chat.id, &[question.clone(), first.clone()], now)
        .await
        .unwrap();
    let regenerated = NewMessage {
        status: MessageStatus::Streaming,
        content: String::new(),
        ..message(Some(question.id), MessageRole::Assistant, "")
    };
    store
        .append_messages(T, ada.id, chat.id, std::slice::from_ref(&regenerated), now)
        .await
        .unwrap();

    let outcome = MessageOutcome {
        content: "Four.".into(),
        status: MessageStatus::Complete,
        error: None,
        usage: Some(json!({"total_tokens": 7})),
        sources: None,
    };
    store
        .finish_message(chat.id, regenerated.id, &outcome, now)
        .await
        .unwrap();
    let (stored, messages) = store.chat(T, ada.id, chat.id).await.unwrap().unwrap();
    assert_eq!(
        stored.current_message_id,
        Some(regenerated.id),
        "the newest answer's branch is selected"
    );
    let path: Vec<&str> = branch(&messages, stored.current_message_id)
        .iter()
        .map(|m| m.content.as_str())
        .collect();
    assert_eq!(path, ["What is 2+2?", "Four."]);
    let answer = messages.iter().find(|m| m.id == regenerated.id).unwrap();
    assert_eq!(
        (answer.status, answer.usage.clone()),
        (MessageStatus::Complete, Some(json!({"total_tokens": 7})))
    );

    let selected = store
        .update_chat(
            T,
            ada.id,
            chat.id,
            ChatPatch {
                current_message_id: Some(first.id),
                ..Default::default()
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(selected.current_message_id, Some(first.id));

    let other = store
        .create_chat(T, ada.id, "Other", None, now)
        .await
        .unwrap();
    let stray = message(
        Some(question.id),
        MessageRole::Assistant,
        "from another chat",
    );
    assert!(matches!(
        store
            .append_messages(T, ada.id, other.id, &[stray], now)
            .await,
        Err(DbError::NotFound("message"))
    ));
    let foreign_branch = ChatPatch {
        current_message_id: Some(question.id),
        ..Default::default()
    };
    assert!(matches!(
        store
            .update_chat(T, ada.id, other.id, foreign_branch, now)
            .await,
        Err(DbError::NotFound("message"))
    ));

    let big = "x".repeat(200_000);
    store
        .append_messages(
            T,
            ada.id,
            other.id,
            &[message(None, MessageRole::User, &big)],
            now,
        )
        .await
        .unwrap();
    let (_, long) = store.chat(T, ada.id, other.id).await.unwrap().unwrap();
    assert_eq!(
        long[0].content.len(),
        200_000,
        "answers longer than 64 KiB are kept whole"
    );
}

async fn chats_are_listed_newest_first_with_filters(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let base = unix_now();
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(
            store
                .create_chat(T, ada.id, &format!("chat {i}"), None, base + i)
                .await
                .unwrap()
                .id,
        );
    }
    let folder = store
        .create_folder(T, ada.id, "Work", None, base)
        .await
        .unwrap();
    store
        .update_chat(
            T,
            ada.id,
            ids[0],
            ChatPatch {
                pinned: Some(true),
                ..Default::default()
            },
            base + 10,
        )
        .await
        .unwrap();
    store
        .update_chat(
            T,
            ada.id,
            ids[1],
            ChatPatch {
                archived: Some(true),
                ..Default::default()
            },
            base + 11,
        )
        .await
        .unwrap();
    store
        .update_chat(
            T,
            ada.id,
            ids[2],
            ChatPatch {
                folder_id: Some(Some(folder.id)),
                ..Default::default()
            },
            base + 12,
        )
        .await
        .unwrap();
    store
        .add_chat_tag(T, ada.id, ids[3], " Rust ")
        .await
        .unwrap();
    store.add_chat_tag(T, ada.id, ids[3], "rust").await.unwrap();
    store
        .add_chat_tag(T, ada.id, ids[4], "ideas")
        .await
        .unwrap();

    let active = store
        .list_chats(T, ada.id, &ChatFilter::default(), 0, 10)
        .await
        .unwrap();
    let titles: Vec<&str> = active.chats.iter().map(|c| c.title.as_str()).collect();
    assert_eq!(
        titles,
        ["chat 2", "chat 0", "chat 4", "chat 3"],
        "newest update first, archived left out"
    );
    assert_eq!(active.total, 4);
    let page = store
        .list_chats(T, ada.id, &ChatFilter::default(), 1, 2)
        .await
        .unwrap();
    assert_eq!(
        page.chats
            .iter()
            .map(|c| c.title.as_str())
            .collect::<Vec<_>>(),
        ["chat 0", "chat 4"]
    );
    let archived = store
        .list_chats(
            T,
            ada.id,
            &ChatFilter {
                archived: true,
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(archived.chats[0].title, "chat 1");
    let pinned = store
        .list_chats(
            T,
            ada.id,
            &ChatFilter {
                pinned: Some(true),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(pinned.chats.len(), 1);
    let in_folder = store
        .list_chats(
            T,
            ada.id,
            &ChatFilter {
                folder_id: Some(folder.id),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(in_folder.chats[0].title, "chat 2");
    let tagged = store
        .list_chats(
            T,
            ada.id,
            &ChatFilter {
                tag: Some("RUST".into()),
                ..Default::default()
            },
            0,
            10,
        )
        .await
        .unwrap();
    assert_eq!(
        (tagged.total, tagged.chats[0].tags.clone()),
        (1, vec!["rust".to_owned()])
    );
    assert_eq!(store.user_tags(T, ada.id).await.unwrap(), ["ideas", "rust"]);
    assert!(
        store
            .remove_chat_tag(T, ada.id, ids[3], "Rust")
            .await
            .unwrap()
    );
    assert!(
        !store
            .remove_chat_tag(T, ada.id, ids[3], "rust")
            .await
            .unwrap()
    );
}

async fn search_finds_titles_and_contents_ignoring_case(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let now = unix_now();
    let titled = store
        .create_chat(T, ada.id, "Rust Ownership", None, now)
        .await
        .unwrap();
    let talked = store
        .create_chat(T, ada.id, "New Chat", None, now + 1)
        .await
        .unwrap();
    store
        .append_messages(
            T,
            ada.id,
            talked.id,
            &[message(
                None,
                MessageRole::User,
                "Explain the Borrow Checker, 100% please",
            )],
            now,
        )
        .await
        .unwrap();
    store
        .create_chat(T, ada.id, "Unrelated", None, now + 2)
        .await
        .unwrap();

    let found = |query: &'static str| {
        let store = store.clone();
        async move {
            let page = store.search_chats(T, ada.id, query, 0, 10).await.unwrap();
            page.chats.into_iter().map(|c| c.id).collect::<Vec<_>>()
        }
    };
    assert_eq!(found("ownership").await, [titled.id]);
    assert_eq!(found("BORROW").await, [talked.id]);
    assert_eq!(found("100%").await, [talked.id]);
    assert_eq!(
        found("%").await,
        [talked.id],
        "`%` is matched literally, not as a wildcard"
    );
    assert_eq!(
        found("_").await,
        Vec::<hearth_core::ChatId>::new(),
        "`_` is matched literally"
    );
    assert!(found("nothing like this").await.is_empty());
}

async fn shares_are_snapshots_until_revoked(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let (ada, bob) = (
        user(&store, "ada@example.org", Role::User).await,
        user(&store, "bob@example.org", Role::User).await,
    );
    let now = unix_now();
    let chat = store
        .create_chat(T, ada.id, "Shared", None, now)
        .await
        .unwrap();
    store
        .create_share(
            T,
            ada.id,
            chat.id,
            "tok-1",
            &json!({"title": "Shared", "messages": []}),
            now,
        )
        .await
        .unwrap();
    assert_eq!(
        store.shared_snapshot(T, "tok-1").await.unwrap(),
        Some(json!({"title": "Shared", "messages": []}))
    );
    assert!(
        store
            .shared_snapshot(TenantId::new(), "tok-1")
            .await
            .unwrap()
            .is_none(),
        "other tenants cannot see it"
    );
    assert_eq!(
        store.chat_shares(T, ada.id, chat.id).await.unwrap().len(),
        1
    );
    assert!(
        !store.revoke_share(T, bob.id, "tok-1").await.unwrap(),
        "only the owner revokes"
    );
    assert!(store.revoke_share(T, ada.id, "tok-1").await.unwrap());
    assert!(store.shared_snapshot(T, "tok-1").await.unwrap().is_none());

    store
        .create_share(T, ada.id, chat.id, "tok-2", &json!({}), now)
        .await
        .unwrap();
    store.delete_chat(T, ada.id, chat.id).await.unwrap();
    assert!(
        store.shared_snapshot(T, "tok-2").await.unwrap().is_none(),
        "deleting the chat ends its shares"
    );
}

async fn folders_nest_and_deleting_one_keeps_its_chats(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let bob = user(&store, "bob@example.org", Role::User).await;
    let now = unix_now();
    let work = store
        .create_folder(T, ada.id, "Work", None, now)
        .await
        .unwrap();
    let deep = store
        .create_folder(T, ada.id, "Deep", Some(work.id), now)
        .await
        .unwrap();
    assert!(matches!(
        store
            .create_folder(T, bob.id, "Mine", Some(work.id), now)
            .await,
        Err(DbError::NotFound("folder"))
    ));
    let into_child = store
        .update_folder(T, ada.id, work.id, None, Some(Some(deep.id)), now)
        .await;
    assert!(
        matches!(into_child, Err(DbError::Conflict(_))),
        "{into_child:?}"
    );
    let renamed = store
        .update_folder(T, ada.id, deep.id, Some("Deeper"), None, now)
        .await
        .unwrap();
    assert_eq!(renamed.name, "Deeper");

    let chat = store
        .create_chat(T, ada.id, "Filed", Some(work.id), now)
        .await
        .unwrap();
    assert!(store.delete_folder(T, ada.id, work.id, now).await.unwrap());
    let (kept, _) = store.chat(T, ada.id, chat.id).await.unwrap().unwrap();
    assert_eq!(
        kept.folder_id, None,
        "the chat survives, outside any folder"
    );
    let folders = store.list_folders(T, ada.id).await.unwrap();
    assert_eq!(
        (folders.len(), folders[0].parent_id),
        (1, None),
        "the subfolder moved up"
    );
    assert!(!store.delete_folder(T, bob.id, deep.id, now).await.unwrap());
}

async fn deleting_a_chat_removes_its_messages(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let now = unix_now();
    let chat = store
        .create_chat(T, ada.id, "Gone soon", None, now)
        .await
        .unwrap();
    store
        .append_messages(
            T,
            ada.id,
            chat.id,
            &[message(None, MessageRole::User, "needle in a haystack")],
            now,
        )
        .await
        .unwrap();
    assert!(store.delete_chat(T, ada.id, chat.id).await.unwrap());
    assert!(store.chat(T, ada.id, chat.id).await.unwrap().is_none());
    assert_eq!(
        store
            .search_chats(T, ada.id, "needle", 0, 10)
            .await
            .unwrap()
            .total,
        0
    );
}

/// The sweep's view: old answers still `streaming` are listed oldest first and can be closed once;
/// young, finished or already closed ones are not touched.
async fn stale_streaming_answers_are_found_and_closed_once(backend: Backend) {
    let (_db, store) = migrated(backend).await;
    let ada = user(&store, "ada@example.org", Role::User).await;
    let now = unix_now();
    let chat = store
        .create_chat(T, ada.id, "Cut off", None, now)
        .await
        .unwrap();
    let question = message(None, MessageRole::User, "are you there?");
    let streaming = |parent| NewMessage {
        status: MessageStatus::Streaming,
        ..message(Some(parent), MessageRole::Assistant, "")
    };
    let (old, older, young) = (
        streaming(question.id),
        streaming(question.id),
        streaming(question.id),
    );
    let done = message(Some(question.id), MessageRole::Assistant, "finished");
    store
        .append_messages(T, ada.id, chat.id, &[question.clone(), done], now - 4000)
        .await
        .unwrap();
    store
        .append_messages(T, ada.id, chat.id, std::slice::from_ref(&older), now - 3000)
        .await
        .unwrap();
    store
        .append_messages(T, ada.id, chat.id, std::slice::from_ref(&old), now - 2000)
        .await
        .unwrap();
    store
        .append_messages(T, ada.id, chat.id, std::slice::from_ref(&young), now)
        .await
        .unwrap();

    let stale = store
        .streaming_messages_before(now - 1000, 10)
        .await
        .unwrap();
    assert_eq!(stale, [(chat.id, older.id), (chat.id, old.id)]);
    assert_eq!(
        store
            .streaming_messages_before(now - 1000, 1)
            .await
            .unwrap()
            .len(),
        1
    );
    assert!(
        store
            .interrupt_message(chat.id, old.id, "gone")
            .await
            .unwrap()
    );
    assert!(
        !store
            .interrupt_message(chat.id, old.id, "again")
            .await
            .unwrap()
    );
    let (_, messages) = store.chat(T, ada.id, chat.id).await.unwrap().unwrap();
    let closed = messages.iter().find(|m| m.id == old.id).unwrap();
    assert_eq!(closed.status, MessageStatus::Error);
    assert_eq!(closed.error.as_deref(), Some("gone"));
    assert_eq!(
        store
            .streaming_messages_before(now - 1000, 10)
            .await
            .unwrap(),
        [(chat.id, older.id)]
    );
}

each_backend!(
    stale_streaming_answers_are_found_and_closed_once,
    chats_are_private_to_their_owner,
    messages_form_a_tree_with_a_selected_branch,
    chats_are_listed_newest_first_with_filters,
    search_finds_titles_and_contents_ignoring_case,
    shares_are_snapshots_until_revoked,
    folders_nest_and_deleting_one_keeps_its_chats,
    deleting_a_chat_removes_its_messages,
);
