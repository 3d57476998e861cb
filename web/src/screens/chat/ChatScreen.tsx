// The chat screen: the selected branch of a chat's message tree, the streamed answer as it arrives,
// the composer (model picker, attachments, send/stop), and live updates from other tabs or devices
// (`chat.delta` / `chat.done` on the WebSocket, stitched by offset).
import { useCallback, useEffect, useMemo, useRef, useState, type FormEvent, type KeyboardEvent } from 'react';
import { chats as chatApi, models as modelApi } from '../../api/hearth';
import { ApiError, messageOf } from '../../api/client';
import { realtimeEvents, realtimeReopened } from '../../api/realtime';
import { streamCompletion } from '../../api/stream';
import type { Attachment, ChatWithMessages, Message, Model, Source } from '../../api/types';
import { applyDeltas, codePointLength, stitch, type Delta } from '../../lib/live';
import { buildTree, defaultLeaf, newestLeaf, pathTo, siblingsOf } from '../../lib/tree';
import { chatsChanged } from '../../components/events';
import { ErrorText } from '../../components/ErrorText';
import { Link } from '../../components/Link';
import { navigate } from '../../components/navigation';
import { useSession } from '../../components/session';
import { AttachDialog } from './AttachDialog';
import { CitationDialog } from './CitationDialog';
import { MessageView } from './MessageView';
import { Icon } from '../../components/Icon';

const MODEL_KEY = 'hearth.model';
let markedInteractive = false;

/** An exchange this tab is streaming, shown until the stored messages replace it. */
interface Pending {
  parentId: string | null;
  question: string | null;
  answer: string;
  sources: Source[];
}

export function ChatScreen({ chatId }: { chatId: string | null }) {
  const { user } = useSession();
  const idRef = useRef<string | null>(chatId);
  const loadedRef = useRef<string | null>(null);
  const [chat, setChat] = useState<ChatWithMessages | null>(null);
  const chatRef = useRef<ChatWithMessages | null>(null);
  const [leaf, setLeaf] = useState<string | null>(null);
  const leafRef = useRef<string | null>(null);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [modelList, setModelList] = useState<Model[] | null>(null);
  const [modelsError, setModelsError] = useState<string | null>(null);
  const [model, setModel] = useState(() => localStorage.getItem(MODEL_KEY) ?? '');
  const [pending, setPending] = useState<Pending | null>(null);
  const [sendError, setSendError] = useState<string | null>(null);
  const [draft, setDraft] = useState('');
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const [attachOpen, setAttachOpen] = useState(false);
  const [citation, setCitation] = useState<Source | null>(null);
  const [stopped, setStopped] = useState<Record<string, number>>({});
  const abortRef = useRef<AbortController | null>(null);
  const ownStream = useRef<string | null>(null);
  const deltas = useRef(new Map<string, Delta[]>());
  const fetching = useRef({ busy: false, again: false });
  const scroller = useRef<HTMLDivElement>(null);
  const composer = useRef<HTMLTextAreaElement>(null);

  const showChat = useCallback((data: ChatWithMessages | null, nextLeaf: string | null) => {
    chatRef.current = data;
    leafRef.current = nextLeaf;
    setChat(data);
    setLeaf(nextLeaf);
  }, []);

  /** GET chat, with live text seen on the WebSocket stitched into answers still streaming. */
  const fetchChat = useCallback(async (id: string) => {
    const data = await chatApi.get(id);
    let gap = false;
    const messages = data.messages.map((m) => {
      const buffered = deltas.current.get(m.id);
      if (m.status !== 'streaming') {
        deltas.current.delete(m.id);
        return m;
      }
      if (!buffered) return m;
      const result = applyDeltas(m.content, buffered);
      gap ||= result.gap;
      return { ...m, content: result.content };
    });
    return { data: { ...data, messages }, gap };
  }, []);

  const reload = useCallback(
    async (id: string) => {
      if (fetching.current.busy) {
        fetching.current.again = true;
        return;
      }
      fetching.current.busy = true;
      try {
        const { data, gap } = await fetchChat(id);
        if (idRef.current !== id) return;
        loadedRef.current = id;
        showChat(data, data.current_message_id ?? defaultLeaf(buildTree(data.messages)));
        setLoadError(null);
        // Part of a live answer fell between the stored copy and the first event seen: read again.
        if (gap) setTimeout(() => idRef.current === id && void reload(id), 250);
      } catch (e) {
        if (idRef.current === id) setLoadError(messageOf(e));
      } finally {
        fetching.current.busy = false;
        if (fetching.current.again) {
          fetching.current.again = false;
          void reload(id);
        }
      }
    },
    [fetchChat, showChat],
  );

  // The URL names another chat (or a new one).
  useEffect(() => {
    if (chatId === idRef.current && loadedRef.current === chatId) return;
    if (chatId !== idRef.current) {
      abortRef.current?.abort();
      abortRef.current = null;
      ownStream.current = null;
      setPending(null);
      setStopped({});
      setSendError(null);
      setAttachments([]);
      deltas.current.clear();
    }
    idRef.current = chatId;
    if (chatId) {
      showChat(null, null);
      void reload(chatId);
    } else {
      loadedRef.current = null;
      showChat(null, null);
      composer.current?.focus();
    }
  }, [chatId, reload, showChat]);

  // Abandon a stream when leaving the screen (the server still finishes and stores the answer).
  useEffect(() => () => abortRef.current?.abort(), []);

  // Stop ends the answer on the server (the model request is dropped, what was said is stored);
  // this tab's stream then ends by itself. Only when the server cannot be asked does the tab just
  // stop following it.
  const stopAnswer = async () => {
    const id = idRef.current;
    if (id) {
      try {
        const stopped = await chatApi.stop(id);
        setStopped((s) => ({ ...s, [stopped.message_id]: codePointLength(stopped.content) }));
        return;
      } catch {
        // Not streaming on the server (yet), or unreachable: stop following instead.
      }
    }
    abortRef.current?.abort();
  };

  useEffect(() => {
    modelApi
      .list()
      .then((list) => {
        setModelList(list);
        setModel((current) => (list.some((m) => m.id === current) ? current : (list[0]?.id ?? '')));
      })
      .catch((e: unknown) => setModelsError(messageOf(e)));
  }, []);

  // The model of the chat's last answer, when it is still offered.
  useEffect(() => {
    if (!chat || !modelList) return;
    const last = [...pathTo(buildTree(chat.messages), leaf)].reverse().find((m) => m.role === 'assistant' && m.model);
    if (last?.model && modelList.some((m) => m.id === last.model)) setModel(last.model);
  }, [chat?.id, modelList]);

  useEffect(() => {
    if (model) localStorage.setItem(MODEL_KEY, model);
  }, [model]);

  // Measured by e2e/measure.mjs: the chat screen can be used.
  useEffect(() => {
    if (!markedInteractive && modelList && !pending) {
      markedInteractive = true;
      performance.mark('hearth:chat-interactive');
    }
  }, [modelList, pending]);

  // Live answers from other tabs and devices.
  useEffect(() => {
    const offEvents = realtimeEvents.subscribe((event) => {
      const id = idRef.current;
      if (!id || !('chat_id' in event) || event.chat_id !== id || ownStream.current === id) return;
      if (event.type === 'chat.done') {
        deltas.current.delete(event.message_id);
        void reload(id);
        return;
      }
      if (event.type !== 'chat.delta') return;
      const list = deltas.current.get(event.message_id) ?? [];
      list.push({ offset: event.offset, content: event.content });
      deltas.current.set(event.message_id, list);
      const current = chatRef.current;
      if (!current) return;
      const message = current.messages.find((m) => m.id === event.message_id);
      if (!message) {
        void reload(id);
        return;
      }
      if (message.status !== 'streaming') return;
      const next = stitch(message.content, event.offset, event.content);
      if (next === null) {
        void reload(id);
        return;
      }
      if (next === message.content) return;
      const updated = { ...current, messages: current.messages.map((m) => (m.id === message.id ? { ...m, content: next } : m)) };
      chatRef.current = updated;
      setChat(updated);
    });
    const offChanged = chatsChanged.subscribe(() => {
      const id = idRef.current;
      if (id && ownStream.current !== id) void reload(id);
    });
    const offReopened = realtimeReopened.subscribe(() => {
      const id = idRef.current;
      if (id && chatRef.current?.messages.some((m) => m.status === 'streaming')) void reload(id);
    });
    return () => {
      offEvents();
      offChanged();
      offReopened();
    };
  }, [reload]);

  const tree = useMemo(() => buildTree(chat?.messages ?? []), [chat]);
  const shownPath = useMemo(
    () => pathTo(tree, pending ? pending.parentId : leaf),
    [tree, leaf, pending],
  );
  const busy = pending !== null;

  // Keep the newest text in view while it grows, unless the reader scrolled up.
  const nearBottom = useRef(true);
  useEffect(() => {
    const el = scroller.current;
    if (el && nearBottom.current) el.scrollTop = el.scrollHeight;
  });

  // The title is written after the first answer, with no event: look a few times, while mounted.
  const titleTimers = useRef(new Set<ReturnType<typeof setTimeout>>());
  useEffect(() => {
    const timers = titleTimers.current;
    return () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    };
  }, []);
  const refreshTitle = (id: string) => {
    let tries = 0;
    const later = (ms: number) => {
      const timer = setTimeout(() => {
        titleTimers.current.delete(timer);
        check();
      }, ms);
      titleTimers.current.add(timer);
    };
    const check = () => {
      chatsChanged.emit();
      if (idRef.current !== id || chatRef.current?.title !== 'New Chat' || tries++ >= 4) return;
      later(1500);
    };
    later(500);
  };

  const send = async (text: string | null, parentId: string | null | undefined, regenerate = false) => {
    if (!model || busy) return;
    setSendError(null);
    let id = idRef.current;
    if (!id) {
      try {
        const created = await chatApi.create();
        id = created.id;
        idRef.current = id;
        loadedRef.current = id;
        showChat({ ...created, messages: [] }, null);
        navigate(`/c/${id}`);
        chatsChanged.emit();
      } catch (e) {
        setSendError(messageOf(e));
        return;
      }
    }
    const base = parentId === undefined ? leafRef.current : parentId;
    const history = pathTo(buildTree(chatRef.current?.messages ?? []), base)
      .filter((m) => (m.role === 'user' || m.role === 'assistant') && m.status !== 'error' && m.content)
      .map((m) => ({ role: m.role, content: m.content }));
    if (!regenerate && text !== null) history.push({ role: 'user', content: text });
    const controller = new AbortController();
    abortRef.current = controller;
    ownStream.current = id;
    nearBottom.current = true;
    setPending({ parentId: base ?? null, question: regenerate ? null : text, answer: '', sources: [] });
    let shown = 0;
    let aborted = false;
    try {
      await streamCompletion(
        {
          model,
          messages: history,
          chat_id: id,
          ...(base !== undefined && (base !== null || parentId === null) ? { parent_id: base } : {}),
          ...(regenerate ? { regenerate: true } : {}),
          ...(attachments.length > 0 ? { files: attachments.map(({ type, id: fileId }) => ({ type, id: fileId })) } : {}),
        },
        {
          onSources: (sources) => setPending((p) => p && { ...p, sources }),
          onDelta: (piece) => {
            shown += codePointLength(piece);
            setPending((p) => p && { ...p, answer: p.answer + piece });
          },
        },
        controller.signal,
      );
    } catch (e) {
      if (controller.signal.aborted) aborted = true;
      else {
        setSendError(messageOf(e));
        // Refused before anything was stored (e.g. a file not indexed yet): give the text back.
        if (text !== null && !regenerate && e instanceof ApiError && e.status !== 502) setDraft(text);
      }
    }
    if (abortRef.current === controller) abortRef.current = null;
    if (ownStream.current === id) ownStream.current = null;
    if (idRef.current !== id) return;
    try {
      const { data } = await fetchChat(id);
      if (idRef.current !== id) return;
      const nextLeaf = data.current_message_id ?? defaultLeaf(buildTree(data.messages));
      showChat(data, nextLeaf);
      const answer = data.messages.find((m) => m.id === nextLeaf);
      if (aborted && answer?.role === 'assistant' && answer.status === 'streaming') {
        setStopped((s) => ({ ...s, [answer.id]: shown }));
      }
    } catch (e) {
      setLoadError(messageOf(e));
    }
    setPending(null);
    setTimeout(() => composer.current?.focus(), 0);
    refreshTitle(id);
  };

  const submit = (event?: FormEvent) => {
    event?.preventDefault();
    const text = draft.trim();
    if (!text || busy) return;
    setDraft('');
    void send(text, undefined);
  };

  const onComposerKey = (event: KeyboardEvent<HTMLTextAreaElement>) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      submit();
    }
  };

  const selectBranch = (id: string) => {
    const chatNow = chatRef.current;
    if (!chatNow) return;
    const target = newestLeaf(tree, id);
    showChat(chatNow, target);
    chatApi.update(chatNow.id, { current_message_id: target }).catch((e: unknown) => setLoadError(messageOf(e)));
  };

  const noModels = modelList !== null && modelList.length === 0;
  const canSend = !busy && !!model && draft.trim() !== '';

  return (
    <section className="chat-screen" aria-label="Chat">
      <header className="chat-head">
        <h1 className="chat-title">{chat?.title ?? 'New chat'}</h1>
        <label className="model-picker">
          <span>Model</span>
          <select value={model} onChange={(e) => setModel(e.target.value)} disabled={!modelList || noModels} aria-describedby="models-error">
            {!modelList && <option value="">Loading models…</option>}
            {noModels && <option value="">No models available</option>}
            {modelList?.map((m) => (
              <option key={m.id} value={m.id}>
                {m.name || m.id}
              </option>
            ))}
          </select>
        </label>
      </header>
      <ErrorText message={modelsError} id="models-error" />
      <div
        className="messages"
        ref={scroller}
        onScroll={(e) => {
          const el = e.currentTarget;
          nearBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 80;
        }}
      >
        <ErrorText message={loadError} />
        {chatId && !chat && !loadError && <p className="muted centered-text" aria-busy="true">Loading chat…</p>}
        {!pending && shownPath.length === 0 && (chat || !chatId) && (
          <div className="empty-chat">
            <h2>What can I help with?</h2>
            {noModels && (
              <p className="muted">
                No models are available yet.{' '}
                {user.role === 'admin' ? (
                  <>
                    Add a connection in <Link to="/admin/connections">Admin → Connections</Link>.
                  </>
                ) : (
                  'Ask an administrator to add a connection.'
                )}
              </p>
            )}
          </div>
        )}
        {shownPath.map((m: Message) => (
          <MessageView
            key={m.id}
            message={m}
            siblings={siblingsOf(tree, m.id)}
            busy={busy}
            stoppedAt={stopped[m.id]}
            onSelect={selectBranch}
            onEdit={m.role === 'user' ? (text) => void send(text, m.parent_id ?? null) : undefined}
            onRegenerate={m.role === 'assistant' && m.parent_id ? () => void send(null, m.parent_id, true) : undefined}
            onCite={setCitation}
          />
        ))}
        {pending?.question && (
          <MessageView
            message={{ id: 'pending-question', role: 'user', content: pending.question, status: 'complete' }}
            busy
            onCite={setCitation}
          />
        )}
        {pending && (
          <MessageView
            message={{ id: 'pending-answer', role: 'assistant', content: pending.answer, status: 'streaming', model, sources: pending.sources }}
            streaming
            busy
            onCite={setCitation}
          />
        )}
      </div>
      <form className="composer" onSubmit={submit}>
        {attachments.length > 0 && (
          <ul className="attachments" aria-label="Attached">
            {attachments.map((a) => (
              <li key={`${a.type}:${a.id}`} className="chip">
                <Icon name={a.type === 'collection' ? 'book' : 'file'} /> {a.name}
                <button type="button" className="icon-button small" aria-label={`Remove ${a.name}`}
                  onClick={() => setAttachments((list) => list.filter((x) => x !== a))}>
                  <Icon name="close" size={14} />
                </button>
              </li>
            ))}
          </ul>
        )}
        <ErrorText message={sendError} id="send-error" />
        <div className="composer-row">
          <button type="button" className="icon-button" aria-label="Attach knowledge or files" onClick={() => setAttachOpen(true)}>
            <Icon name="attach" size={20} />
          </button>
          <label className="composer-input">
            <span className="visually-hidden">Message</span>
            <textarea
              ref={composer}
              rows={1}
              placeholder={noModels ? 'No models available' : 'Send a message'}
              value={draft}
              onChange={(e) => setDraft(e.target.value)}
              onKeyDown={onComposerKey}
              disabled={!modelList || noModels}
              aria-describedby="send-error"
            />
          </label>
          {busy ? (
            <button type="button" className="stop" onClick={() => void stopAnswer()}>
              Stop
            </button>
          ) : (
            <button type="submit" className="primary" disabled={!canSend}>
              Send
            </button>
          )}
        </div>
      </form>
      <AttachDialog open={attachOpen} selected={attachments} onClose={() => setAttachOpen(false)} onChange={setAttachments} />
      <CitationDialog source={citation} onClose={() => setCitation(null)} />
    </section>
  );
}
