// The sidebar: navigation, the chat history (search, pinned, folders, archived) with per-chat
// actions (rename, pin, archive, move, delete), and the account with sign-out.
import { useCallback, useEffect, useRef, useState, type FormEvent } from 'react';
import { chats as chatApi } from '../api/hearth';
import { messageOf } from '../api/client';
import { realtimeEvents } from '../api/realtime';
import type { Chat, Folder } from '../api/types';
import { Link } from './Link';
import { navigate, usePathname } from './navigation';
import { useSession } from './session';
import { chatsChanged } from './events';
import { ErrorText } from './ErrorText';
import { Dialog } from './Dialog';
import { Icon } from './Icon';

export function Sidebar({ id }: { id: string }) {
  const { user, signOut } = useSession();
  const [list, setList] = useState<Chat[] | null>(null);
  const [folders, setFolders] = useState<Folder[]>([]);
  const [query, setQuery] = useState('');
  const [results, setResults] = useState<Chat[] | null>(null);
  const [archived, setArchived] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [newFolder, setNewFolder] = useState<string | null>(null);

  const load = useCallback(async () => {
    try {
      const [page, folderList] = await Promise.all([chatApi.list({ archived }), chatApi.folders()]);
      setList(page.chats);
      setFolders(folderList);
      setError(null);
    } catch (e) {
      setError(messageOf(e));
    }
  }, [archived]);

  useEffect(() => {
    void load();
  }, [load]);
  useEffect(() => chatsChanged.subscribe(() => void load()), [load]);
  useEffect(
    () =>
      realtimeEvents.subscribe((event) => {
        if (event.type === 'chat.done') void load();
      }),
    [load],
  );

  useEffect(() => {
    const q = query.trim();
    if (!q) {
      setResults(null);
      return;
    }
    const timer = setTimeout(() => {
      chatApi
        .search(q)
        .then((page) => setResults(page.chats))
        .catch((e: unknown) => setError(messageOf(e)));
    }, 200);
    return () => clearTimeout(timer);
  }, [query, list]);

  const createFolder = async (event: FormEvent) => {
    event.preventDefault();
    if (!newFolder?.trim()) return;
    try {
      await chatApi.createFolder(newFolder.trim());
      setNewFolder(null);
      await load();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const shown = results ?? list ?? [];
  const pinned = results || archived ? [] : shown.filter((c) => c.pinned);
  const rest = results || archived ? shown : shown.filter((c) => !c.pinned && !c.folder_id);
  const folderChats = (folder: string) => shown.filter((c) => c.folder_id === folder && !c.pinned);

  return (
    <nav id={id} className="sidebar" aria-label="Main">
      <div className="sidebar-top">
        <Link to="/" className="button primary new-chat">
          + New chat
        </Link>
        <ul className="nav-links">
          <li>
            <Link to="/knowledge" activePrefix="/knowledge">
              Knowledge
            </Link>
          </li>
          <li>
            <Link to="/drive">Drive</Link>
          </li>
          <li>
            <Link to="/settings">Settings</Link>
          </li>
          {user.role === 'admin' && (
            <li>
              <Link to="/admin/users" activePrefix="/admin">
                Admin
              </Link>
            </li>
          )}
        </ul>
        <label className="search">
          <span className="visually-hidden">Search chats</span>
          <input type="search" placeholder="Search chats" value={query} onChange={(e) => setQuery(e.target.value)} />
        </label>
      </div>
      <div className="history" aria-label="Chat history" role="region">
        <ErrorText message={error} />
        {list === null && !error && <p className="muted">Loading chats…</p>}
        {results && results.length === 0 && <p className="muted">No chat matches “{query.trim()}”.</p>}
        {!results && list && list.length === 0 && (
          <p className="muted">{archived ? 'No archived chats.' : 'No chats yet.'}</p>
        )}
        {pinned.length > 0 && (
          <ChatGroup title="Pinned" chats={pinned} folders={folders} />
        )}
        {!results &&
          !archived &&
          folders.map((folder) => (
            <FolderGroup key={folder.id} folder={folder} chats={folderChats(folder.id)} folders={folders} onChanged={load} />
          ))}
        {rest.length > 0 && (
          <ChatGroup
            title={results ? 'Search results' : archived ? 'Archived' : 'Chats'}
            chats={rest}
            folders={folders}
          />
        )}
        <div className="history-tools">
          {newFolder === null ? (
            <button type="button" className="small" onClick={() => setNewFolder('')}>
              New folder
            </button>
          ) : (
            <form onSubmit={createFolder} className="inline-form">
              <label>
                <span className="visually-hidden">Folder name</span>
                <input
                  autoFocus
                  placeholder="Folder name"
                  value={newFolder}
                  onChange={(e) => setNewFolder(e.target.value)}
                  onKeyDown={(e) => e.key === 'Escape' && setNewFolder(null)}
                />
              </label>
              <button type="submit" className="small">
                Create
              </button>
            </form>
          )}
          <button type="button" className="small" aria-pressed={archived} onClick={() => setArchived((a) => !a)}>
            {archived ? 'Show active chats' : 'Show archived'}
          </button>
        </div>
      </div>
      <div className="account">
        <span className="account-name" title={user.email}>
          {user.name || user.email}
        </span>
        <button type="button" className="small" onClick={signOut}>
          Sign out
        </button>
      </div>
    </nav>
  );
}

interface GroupProps {
  chats: Chat[];
  folders: Folder[];
}

function ChatGroup({ title, chats, folders }: GroupProps & { title: string }) {
  return (
    <section className="chat-group" aria-label={title}>
      <h2>{title}</h2>
      <ul>
        {chats.map((chat) => (
          <ChatItem key={chat.id} chat={chat} folders={folders} />
        ))}
      </ul>
    </section>
  );
}

function FolderGroup({ folder, chats, folders, onChanged }: GroupProps & { folder: Folder; onChanged(): Promise<void> }) {
  const [open, setOpen] = useState(true);
  const [renaming, setRenaming] = useState(false);
  const [name, setName] = useState(folder.name);
  const [error, setError] = useState<string | null>(null);
  const save = async (event: FormEvent) => {
    event.preventDefault();
    try {
      await chatApi.renameFolder(folder.id, name.trim());
      setRenaming(false);
      await onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  const remove = async () => {
    try {
      await chatApi.removeFolder(folder.id);
      await onChanged();
    } catch (e) {
      setError(messageOf(e));
    }
  };
  return (
    <section className="chat-group folder" aria-label={`Folder ${folder.name}`}>
      <div className="folder-head">
        {renaming ? (
          <form onSubmit={save} className="inline-form">
            <label>
              <span className="visually-hidden">Folder name</span>
              <input autoFocus value={name} onChange={(e) => setName(e.target.value)} onKeyDown={(e) => e.key === 'Escape' && setRenaming(false)} />
            </label>
            <button type="submit" className="small">
              Save
            </button>
          </form>
        ) : (
          <button type="button" className="folder-toggle" aria-expanded={open} onClick={() => setOpen((o) => !o)}>
            <Icon name={open ? 'down' : 'right'} /> <Icon name="folder" /> {folder.name}
          </button>
        )}
        <button type="button" className="icon-button small" aria-label={`Rename folder ${folder.name}`} onClick={() => setRenaming(true)}>
          <Icon name="edit" />
        </button>
        <button type="button" className="icon-button small" aria-label={`Delete folder ${folder.name}`} onClick={remove}>
          <Icon name="trash" />
        </button>
      </div>
      <ErrorText message={error} />
      {open && (
        <ul>
          {chats.length === 0 && <li className="muted small-text">Empty folder</li>}
          {chats.map((chat) => (
            <ChatItem key={chat.id} chat={chat} folders={folders} />
          ))}
        </ul>
      )}
    </section>
  );
}

function ChatItem({ chat, folders }: { chat: Chat; folders: Folder[] }) {
  const pathname = usePathname();
  const [menu, setMenu] = useState(false);
  const [renaming, setRenaming] = useState(false);
  const [title, setTitle] = useState(chat.title);
  const [confirmDelete, setConfirmDelete] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const menuRef = useRef<HTMLDivElement>(null);
  const trigger = useRef<HTMLButtonElement>(null);
  const href = `/c/${chat.id}`;

  useEffect(() => setTitle(chat.title), [chat.title]);
  useEffect(() => {
    if (!menu) return;
    menuRef.current?.querySelector('button')?.focus();
    const onDown = (event: MouseEvent) => {
      if (!menuRef.current?.parentElement?.contains(event.target as Node)) setMenu(false);
    };
    document.addEventListener('mousedown', onDown);
    return () => document.removeEventListener('mousedown', onDown);
  }, [menu]);

  const act = async (change: () => Promise<unknown>) => {
    setMenu(false);
    try {
      await change();
      setError(null);
      // The open chat's header follows renames too.
      chatsChanged.emit();
    } catch (e) {
      setError(messageOf(e));
    }
  };

  const rename = (event: FormEvent) => {
    event.preventDefault();
    setRenaming(false);
    void act(() => chatApi.update(chat.id, { title: title.trim() }));
  };

  return (
    <li className={`chat-item${pathname === href ? ' current' : ''}`}>
      {renaming ? (
        <form onSubmit={rename} className="inline-form">
          <label>
            <span className="visually-hidden">Chat title</span>
            <input
              autoFocus
              value={title}
              onChange={(e) => setTitle(e.target.value)}
              onKeyDown={(e) => e.key === 'Escape' && setRenaming(false)}
            />
          </label>
          <button type="submit" className="small">
            Save
          </button>
        </form>
      ) : (
        <Link to={href} className="chat-link" title={chat.title}>
          {chat.pinned && (
            <span className="pinned-mark" title="Pinned">
              <Icon name="pin" size={13} />
              <span className="visually-hidden">Pinned: </span>
            </span>
          )}
          {chat.title}
        </Link>
      )}
      <div className="chat-actions">
        <button
          type="button"
          className="icon-button small"
          ref={trigger}
          aria-label={`Actions for ${chat.title}`}
          aria-haspopup="menu"
          aria-expanded={menu}
          onClick={() => setMenu((m) => !m)}
        >
          <Icon name="more" />
        </button>
        {menu && (
          <div
            className="menu"
            role="menu"
            ref={menuRef}
            onKeyDown={(e) => {
              if (e.key === 'Escape') {
                setMenu(false);
                trigger.current?.focus();
              } else if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
                e.preventDefault();
                const items = [...(menuRef.current?.querySelectorAll<HTMLElement>('[role="menuitem"], select') ?? [])];
                const at = items.indexOf(document.activeElement as HTMLElement);
                const next = items[(at + (e.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length];
                next?.focus();
              }
            }}
          >
            <button type="button" role="menuitem" onClick={() => (setMenu(false), setRenaming(true))}>
              Rename
            </button>
            <button type="button" role="menuitem" onClick={() => act(() => chatApi.update(chat.id, { pinned: !chat.pinned }))}>
              {chat.pinned ? 'Unpin' : 'Pin'}
            </button>
            <button type="button" role="menuitem" onClick={() => act(() => chatApi.update(chat.id, { archived: !chat.archived }))}>
              {chat.archived ? 'Unarchive' : 'Archive'}
            </button>
            {folders.length > 0 && (
              <label className="menu-field">
                Move to folder
                <select
                  value={chat.folder_id ?? ''}
                  onChange={(e) => act(() => chatApi.update(chat.id, { folder_id: e.target.value || null }))}
                >
                  <option value="">No folder</option>
                  {folders.map((f) => (
                    <option key={f.id} value={f.id}>
                      {f.name}
                    </option>
                  ))}
                </select>
              </label>
            )}
            <button type="button" role="menuitem" className="danger" onClick={() => (setMenu(false), setConfirmDelete(true))}>
              Delete
            </button>
          </div>
        )}
      </div>
      <ErrorText message={error} />
      <Dialog open={confirmDelete} title="Delete chat?" onClose={() => setConfirmDelete(false)}>
        <p>
          “{chat.title}” and all its messages will be deleted. This cannot be undone.
        </p>
        <div className="row end">
          <button type="button" onClick={() => setConfirmDelete(false)}>
            Cancel
          </button>
          <button
            type="button"
            className="danger"
            onClick={() => {
              setConfirmDelete(false);
              void act(async () => {
                await chatApi.remove(chat.id);
                if (pathname === href) navigate('/');
              });
            }}
          >
            Delete
          </button>
        </div>
      </Dialog>
    </li>
  );
}
