// The realtime WebSocket (`/api/v1/realtime/ws?token=…`): one connection per signed-in tab, reopened
// with backoff when it drops, resuming from the last event id it saw; screens subscribe to events.
import { createSignal } from '../lib/signal';
import type { RealtimeEvent } from './types';

export const realtimeEvents = createSignal<RealtimeEvent>();
/** Emitted when the connection (re)opens and some events may have been missed. */
export const realtimeReopened = createSignal<void>();

let socket: WebSocket | null = null;
let token: string | null = null;
let lastEventId: number | null = null;
let retry: ReturnType<typeof setTimeout> | null = null;
let attempts = 0;
let ping: ReturnType<typeof setInterval> | null = null;

function open(): void {
  if (!token) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const query = new URLSearchParams({ token });
  if (lastEventId !== null) query.set('last_event_id', String(lastEventId));
  const ws = new WebSocket(`${scheme}://${location.host}/api/v1/realtime/ws?${query}`);
  socket = ws;
  ws.onmessage = (message) => {
    let event: RealtimeEvent;
    try {
      event = JSON.parse(String(message.data)) as RealtimeEvent;
    } catch {
      return;
    }
    if ('id' in event && typeof event.id === 'number') lastEventId = event.id;
    if (event.type === 'hello') {
      attempts = 0;
      if (lastEventId === null && typeof event.last_event_id === 'number') lastEventId = event.last_event_id;
      realtimeReopened.emit();
    }
    realtimeEvents.emit(event);
  };
  ws.onclose = () => {
    if (socket !== ws) return;
    socket = null;
    if (!token) return;
    const delay = Math.min(10_000, 500 * 2 ** attempts++);
    retry = setTimeout(open, delay);
  };
}

/** Connects for `newToken` (or disconnects with `null`). */
export function connectRealtime(newToken: string | null): void {
  if (newToken === token) return;
  token = newToken;
  lastEventId = null;
  if (retry) clearTimeout(retry);
  if (ping) clearInterval(ping);
  retry = null;
  ping = null;
  const old = socket;
  socket = null;
  old?.close();
  if (token) {
    open();
    ping = setInterval(() => {
      if (socket?.readyState === WebSocket.OPEN) socket.send('{"type":"ping"}');
    }, 25_000);
  }
}
