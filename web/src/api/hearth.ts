// Typed functions for each Hearth endpoint the UI calls, grouped by area.
import { request, send } from './client';
import type {
  AdminModelList,
  ApiKey,
  AppConfig,
  Chat,
  ChatWithMessages,
  Connection,
  CreatedApiKey,
  DriveFile,
  Folder,
  Group,
  Health,
  Knowledge,
  Model,
  ModelSettings,
  Role,
  Session,
  Setting,
  SettingValue,
  Usage,
  User,
} from './types';

export const auth = {
  config: () => request<AppConfig>('/api/config'),
  signUp: (body: { name: string; email: string; password: string }) =>
    request<Session>('/api/v1/auths/signup', { body }),
  signIn: (body: { email: string; password: string }) => request<Session>('/api/v1/auths/signin', { body }),
  signOut: () => request<unknown>('/api/v1/auths/signout', { method: 'POST' }),
  me: () => request<User>('/api/v1/auths'),
  changePassword: (body: { password: string; new_password: string }) =>
    request<{ status: boolean; revoked_sessions: number }>('/api/v1/auths/update/password', { body }),
  apiKeys: () => request<ApiKey[]>('/api/v1/auths/api_keys'),
  createApiKey: (name: string) => request<CreatedApiKey>('/api/v1/auths/api_key', { body: { name } }),
  deleteApiKey: (id: string) => request<unknown>(`/api/v1/auths/api_keys/${id}`, { method: 'DELETE' }),
};

export const chats = {
  list: (query: { archived?: boolean } = {}) =>
    request<{ chats: Chat[]; total: number }>('/api/v1/chats', { query: { limit: 200, ...query } }),
  search: (q: string) => request<{ chats: Chat[]; total: number }>('/api/v1/chats/search', { query: { q, limit: 50 } }),
  get: (id: string) => request<ChatWithMessages>(`/api/v1/chats/${id}`),
  create: () => request<Chat>('/api/v1/chats', { body: {} }),
  update: (
    id: string,
    body: Partial<Pick<Chat, 'title' | 'pinned' | 'archived' | 'current_message_id'>> & { folder_id?: string | null },
  ) => request<Chat>(`/api/v1/chats/${id}`, { method: 'PATCH', body }),
  remove: (id: string) => request<unknown>(`/api/v1/chats/${id}`, { method: 'DELETE' }),
  /** Stops the answer streaming in the chat (on any replica); returns what it had said. */
  stop: (id: string) =>
    request<{ message_id: string; content: string }>(`/api/v1/chats/${id}/stop`, { method: 'POST', body: {} }),
  folders: () => request<Folder[]>('/api/v1/folders'),
  createFolder: (name: string) => request<Folder>('/api/v1/folders', { body: { name } }),
  renameFolder: (id: string, name: string) => request<Folder>(`/api/v1/folders/${id}`, { method: 'PATCH', body: { name } }),
  removeFolder: (id: string) => request<unknown>(`/api/v1/folders/${id}`, { method: 'DELETE' }),
};

export const models = {
  list: () => request<{ data: Model[] }>('/api/models').then((r) => r.data),
  adminList: () => request<AdminModelList>('/api/v1/models'),
  refresh: () => request<AdminModelList>('/api/v1/models/refresh', { method: 'POST' }),
  saveSettings: (settings: ModelSettings) =>
    request<ModelSettings>('/api/v1/models/settings', { method: 'PUT', body: settings }),
};

export interface NewConnection {
  name: string;
  kind: 'openai' | 'ollama';
  base_url: string;
  api_key?: string | null;
}

export const connections = {
  list: () => request<Connection[]>('/api/v1/connections'),
  create: (body: NewConnection) => request<Connection>('/api/v1/connections', { body }),
  update: (id: string, body: Partial<NewConnection> & { enabled?: boolean }) =>
    request<Connection>(`/api/v1/connections/${id}`, { method: 'PATCH', body }),
  remove: (id: string) => request<unknown>(`/api/v1/connections/${id}`, { method: 'DELETE' }),
  verify: (id: string) => request<Health>(`/api/v1/connections/${id}/verify`, { method: 'POST' }),
};

export const users = {
  list: () => request<{ users: User[]; total: number }>('/api/v1/users', { query: { limit: 200 } }),
  update: (id: string, body: { role?: Role; name?: string }) =>
    request<User>(`/api/v1/users/${id}`, { method: 'PATCH', body }),
  remove: (id: string) => request<unknown>(`/api/v1/users/${id}`, { method: 'DELETE' }),
  groups: () => request<Group[]>('/api/v1/groups'),
};

export const configs = {
  list: () => request<{ settings: Setting[] }>('/api/v1/configs').then((r) => r.settings),
  update: (patch: Record<string, SettingValue>) =>
    request<{ settings: Setting[] }>('/api/v1/configs', { method: 'PATCH', body: patch }).then((r) => r.settings),
};

export const files = {
  list: () => request<DriveFile[]>('/api/v1/files', { query: { limit: 200 } }),
  usage: () => request<Usage>('/api/v1/files/usage'),
  rename: (id: string, filename: string) =>
    request<DriveFile>(`/api/v1/files/${id}`, { method: 'PATCH', body: { filename } }),
  remove: (id: string) => request<unknown>(`/api/v1/files/${id}`, { method: 'DELETE' }),
  /** The file's bytes (downloads need the Authorization header, so no plain link). */
  content: async (id: string) => (await send(`/api/v1/files/${id}/content`)).blob(),
  process: (file_id: string) =>
    request<{ status: string; passages: number; error?: string | null }>('/api/v1/retrieval/process/file', {
      body: { file_id },
    }),
};

export const knowledge = {
  list: () => request<Knowledge[]>('/api/v1/knowledge'),
  get: (id: string) => request<Knowledge>(`/api/v1/knowledge/${id}`),
  create: (body: { name: string; description: string }) => request<Knowledge>('/api/v1/knowledge', { body }),
  update: (id: string, body: { name?: string; description?: string }) =>
    request<Knowledge>(`/api/v1/knowledge/${id}`, { method: 'PATCH', body }),
  remove: (id: string) => request<unknown>(`/api/v1/knowledge/${id}`, { method: 'DELETE' }),
  addFiles: (id: string, file_ids: string[]) => request<Knowledge>(`/api/v1/knowledge/${id}/files`, { body: { file_ids } }),
  removeFile: (id: string, file_id: string) =>
    request<Knowledge>(`/api/v1/knowledge/${id}/file/remove`, { body: { file_id } }),
};
