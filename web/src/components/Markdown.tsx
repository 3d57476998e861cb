// Renders an answer's Markdown and handles its buttons: copying code blocks and opening citations.
import { useMemo, type MouseEvent } from 'react';
import { renderMarkdown } from '../lib/markdown';

interface MarkdownProps {
  text: string;
  sources?: number;
  onCite?(index: number): void;
}

async function copyText(text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
}

export function Markdown({ text, sources = 0, onCite }: MarkdownProps) {
  const html = useMemo(() => renderMarkdown(text, sources), [text, sources]);
  const onClick = (event: MouseEvent<HTMLDivElement>) => {
    const target = event.target as HTMLElement;
    const copy = target.closest<HTMLButtonElement>('button.copy-code');
    if (copy) {
      const code = copy.closest('.code-block')?.querySelector('code')?.textContent ?? '';
      void copyText(code).then(() => {
        copy.textContent = 'Copied';
        copy.setAttribute('aria-label', 'Code copied');
        setTimeout(() => {
          copy.textContent = 'Copy';
          copy.setAttribute('aria-label', 'Copy code');
        }, 1500);
      });
      return;
    }
    const cite = target.closest<HTMLButtonElement>('button.cite');
    if (cite && onCite) onCite(Number(cite.dataset.cite));
  };
  return <div className="markdown" onClick={onClick} dangerouslySetInnerHTML={{ __html: html }} />;
}
