// The colour theme: the user's choice (light, dark or system) is kept in localStorage and applied
// as `data-theme` on <html>; "system" follows `prefers-color-scheme` as it changes.
export type ThemeChoice = 'light' | 'dark' | 'system';
const KEY = 'hearth.theme';
const media = window.matchMedia('(prefers-color-scheme: dark)');

export function themeChoice(): ThemeChoice {
  const stored = localStorage.getItem(KEY);
  return stored === 'light' || stored === 'dark' ? stored : 'system';
}

export function applyTheme(): void {
  const choice = themeChoice();
  const theme = choice === 'system' ? (media.matches ? 'dark' : 'light') : choice;
  document.documentElement.dataset.theme = theme;
  document.documentElement.dataset.themeChoice = choice;
}

export function setThemeChoice(choice: ThemeChoice): void {
  if (choice === 'system') localStorage.removeItem(KEY);
  else localStorage.setItem(KEY, choice);
  applyTheme();
}

media.addEventListener('change', applyTheme);
