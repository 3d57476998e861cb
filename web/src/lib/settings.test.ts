// Tests of the admin settings form: parsing and the PATCH body.
import { describe, expect, it } from 'vitest';
import { changedSettings, fromFormText, toFormText, type Setting } from './settings';

const base = { group: 'rag', description: '', default: null, locked: false };
const settings: Setting[] = [
  { ...base, name: 'RAG_TOP_K', kind: 'integer', value: 5 },
  { ...base, name: 'ENABLE_SIGNUP', kind: 'boolean', value: true },
  { ...base, name: 'FILE_MAX_SIZE', kind: 'integer', value: 10 },
  { ...base, name: 'FILE_ALLOWED_EXTENSIONS', kind: 'list', value: ['pdf', 'md'] },
  { ...base, name: 'LOCKED', kind: 'string', value: 'x', locked: true },
];

describe('settings form', () => {
  it('shows values as text', () => {
    expect(toFormText(settings[3]!)).toBe('pdf\nmd');
    expect(toFormText({ ...settings[0]!, value: null })).toBe('');
  });
  it('parses each kind', () => {
    expect(fromFormText('integer', ' 8 ')).toEqual({ value: 8 });
    expect(fromFormText('integer', '')).toEqual({ value: null });
    expect(fromFormText('integer', '8.5')).toEqual({ error: 'must be a whole number' });
    expect(fromFormText('number', '0.5')).toEqual({ value: 0.5 });
    expect(fromFormText('number', 'lots')).toEqual({ error: 'must be a number' });
    expect(fromFormText('boolean', 'false')).toEqual({ value: false });
    expect(fromFormText('list', 'a\n\n b \n')).toEqual({ value: ['a', 'b'] });
  });
  it('sends only changed, unlocked settings', () => {
    const edits = { RAG_TOP_K: '8', ENABLE_SIGNUP: 'true', FILE_MAX_SIZE: '', FILE_ALLOWED_EXTENSIONS: 'pdf\nmd', LOCKED: 'y' };
    expect(changedSettings(settings, edits)).toEqual({ patch: { RAG_TOP_K: 8, FILE_MAX_SIZE: null }, errors: {} });
    expect(changedSettings(settings, { RAG_TOP_K: 'x' }).errors).toEqual({ RAG_TOP_K: 'must be a whole number' });
  });
});
