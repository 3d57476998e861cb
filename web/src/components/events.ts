// App-wide signals between screens: the chat list changed (new chat, new title, answer finished).
import { createSignal } from '../lib/signal';

export const chatsChanged = createSignal<void>();
