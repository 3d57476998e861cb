// Admin settings form logic: which edited values differ from the server's, and how a typed-in value
// becomes the JSON the server expects for each kind of setting.

export type SettingKind = 'integer' | 'number' | 'boolean' | 'string' | 'list' | 'choice';
export type SettingValue = number | boolean | string | string[] | null;

export interface Setting {
  name: string;
  group: string;
  description: string;
  kind: SettingKind;
  choices?: string[];
  value: SettingValue;
  default: SettingValue;
  locked: boolean;
}

/** The form's text for a value (lists one item per line). */
export function toFormText(setting: Setting): string {
  const value = setting.value;
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join('\n');
  return String(value);
}

/** The JSON value for the form's text, or an error message. */
export function fromFormText(kind: SettingKind, text: string): { value: SettingValue } | { error: string } {
  const trimmed = text.trim();
  switch (kind) {
    case 'integer': {
      if (trimmed === '') return { value: null };
      if (!/^-?\d+$/.test(trimmed)) return { error: 'must be a whole number' };
      return { value: Number(trimmed) };
    }
    case 'number': {
      if (trimmed === '') return { value: null };
      const value = Number(trimmed);
      return Number.isFinite(value) ? { value } : { error: 'must be a number' };
    }
    case 'boolean':
      return { value: trimmed === 'true' };
    case 'list':
      return { value: text.split('\n').map((s) => s.trim()).filter(Boolean) };
    default:
      return { value: text };
  }
}

function same(a: SettingValue, b: SettingValue): boolean {
  return JSON.stringify(a ?? null) === JSON.stringify(b ?? null);
}

/** The PATCH body: the unlocked settings whose edited value differs from the server's. */
export function changedSettings(
  settings: readonly Setting[],
  edits: Readonly<Record<string, string>>,
): { patch: Record<string, SettingValue>; errors: Record<string, string> } {
  const patch: Record<string, SettingValue> = {};
  const errors: Record<string, string> = {};
  for (const setting of settings) {
    const text = edits[setting.name];
    if (setting.locked || text === undefined) continue;
    const parsed = fromFormText(setting.kind, text);
    if ('error' in parsed) errors[setting.name] = parsed.error;
    else if (!same(parsed.value, setting.value)) patch[setting.name] = parsed.value;
  }
  return { patch, errors };
}
