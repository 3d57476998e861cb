// Tests of URL matching.
import { describe, expect, it } from 'vitest';
import { matchRoute } from './routes';

describe('matchRoute', () => {
  it('matches every screen', () => {
    expect(matchRoute('/')).toEqual({ screen: 'chat', chatId: null });
    expect(matchRoute('/c/abc')).toEqual({ screen: 'chat', chatId: 'abc' });
    expect(matchRoute('/knowledge')).toEqual({ screen: 'knowledge', knowledgeId: null });
    expect(matchRoute('/knowledge/k1/')).toEqual({ screen: 'knowledge', knowledgeId: 'k1' });
    expect(matchRoute('/drive')).toEqual({ screen: 'drive' });
    expect(matchRoute('/settings')).toEqual({ screen: 'settings' });
    expect(matchRoute('/admin')).toEqual({ screen: 'admin', tab: 'users' });
    expect(matchRoute('/admin/connections')).toEqual({ screen: 'admin', tab: 'connections' });
  });
  it('refuses unknown paths', () => {
    expect(matchRoute('/admin/nope').screen).toBe('not-found');
    expect(matchRoute('/c').screen).toBe('not-found');
    expect(matchRoute('/drive/x').screen).toBe('not-found');
    expect(matchRoute('/a/b/c').screen).toBe('not-found');
  });
});
