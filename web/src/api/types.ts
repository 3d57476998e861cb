// The shapes of Hearth's API as this app uses them (see the OpenAPI document at /api/openapi.json).
import type { Source } from '../lib/completion';
import type { Setting, SettingValue } from '../lib/settings';

export type { Source, Setting, SettingValue };

export type Role = 'admin' | 'user' | 'pending';

export interface AppConfig {
  name: string;
  version: string;
  onboarding: boolean;
  features: { enable_signup: boolean };
}

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  created_at: number;
  updated_at: number;
  last_active_at?: number | null;
}

export interface Session {
  id: string;
  email: string;
  name: string;
  role: Role;
  token: string;
  token_type: string;
  expires_at: number;
}

export interface Chat {
  id: string;
  title: string;
  folder_id?: string | null;
  pinned: boolean;
  archived: boolean;
  current_message_id?: string | null;
  tags: string[];
  created_at: number;
  updated_at: number;
}

export interface Message {
  id: string;
  parent_id?: string | null;
  role: 'system' | 'user' | 'assistant';
  content: string;
  model?: string | null;
  status: 'complete' | 'streaming' | 'error';
  error?: string | null;
  sources?: Source[] | null;
  created_at: number;
  stream_event_id?: number | null;
}

export interface ChatWithMessages extends Chat {
  messages: Message[];
}

export interface Folder {
  id: string;
  name: string;
  parent_id?: string | null;
  created_at: number;
  updated_at: number;
}

export interface Model {
  id: string;
  name: string;
  connection: string;
  owned_by: string;
}

export interface Health {
  connection_id: string;
  name: string;
  ok: boolean;
  models: number;
  detail?: string | null;
  checked_at: number;
}

export interface Connection {
  id: string;
  name: string;
  kind: 'openai' | 'ollama';
  base_url: string;
  enabled: boolean;
  locked: boolean;
  api_key?: string | null;
  prefix?: string | null;
  model_allow_list: string[];
  health?: Health | null;
}

export interface Access {
  group_ids: string[];
  user_ids: string[];
}

export interface ModelSettings {
  model_id: string;
  display_name?: string | null;
  hidden?: boolean;
  access?: Access | null;
  system_prompt?: string | null;
  params?: Record<string, unknown>;
}

export interface AdminModel {
  id: string;
  upstream_id: string;
  connection_id: string;
  connection_name: string;
  settings?: ModelSettings | null;
}

export interface AdminModelList {
  connections: Health[];
  models: AdminModel[];
  orphaned_settings: ModelSettings[];
}

export interface Group {
  id: string;
  name: string;
  description: string;
  member_ids: string[];
}

export interface DriveFile {
  id: string;
  filename: string;
  folder_id?: string | null;
  state: string;
  meta: { content_type: string; name: string; size: number };
  created_at: number;
  updated_at: number;
  user_id: string;
}

export interface Usage {
  used_bytes: number;
  quota_bytes?: number | null;
}

export type IngestStatus = 'pending' | 'processing' | 'ready' | 'failed';

export interface KnowledgeFile {
  id: string;
  filename: string;
  content_type: string;
  size: number;
  status: IngestStatus;
  passages: number;
  error?: string | null;
}

export interface Knowledge {
  id: string;
  name: string;
  description: string;
  user_id: string;
  write: boolean;
  files?: KnowledgeFile[] | null;
  status?: Partial<Record<IngestStatus, number>> | null;
  created_at: number;
  updated_at: number;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  created_at: number;
  last_used_at?: number | null;
}

export interface CreatedApiKey extends ApiKey {
  api_key: string;
}

/** An attachment of a chat request. */
export interface Attachment {
  type: 'file' | 'collection';
  id: string;
  name: string;
}

/** Events on the realtime WebSocket that the UI follows. */
export type RealtimeEvent =
  | { type: 'hello'; last_event_id?: number | null; resumed: boolean }
  | { type: 'chat.delta'; id?: number; chat_id: string; message_id: string; offset: number; content: string }
  | { type: 'chat.done'; id?: number; chat_id: string; message_id: string; status: string; error?: string | null; length: number }
  | { type: 'file.status'; id?: number; file_id: string; status: IngestStatus; error?: string | null; passages: number; knowledge_ids: string[] }
  | { type: 'pong' };
