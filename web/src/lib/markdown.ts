// Markdown to safe HTML for answers: `marked` parses, highlight.js colours code blocks (a fixed set
// of languages keeps the bundle small), citations like `[1]` become buttons when the answer has that
// source, and DOMPurify removes anything that could run script.
import { Marked, type Tokens } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import go from 'highlight.js/lib/languages/go';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';

const languages = { bash, c, cpp, css, go, java, javascript, json, python, rust, shell, sql, typescript, xml, yaml };
for (const [name, language] of Object.entries(languages)) hljs.registerLanguage(name, language);
hljs.registerAliases(['sh', 'zsh'], { languageName: 'bash' });
hljs.registerAliases(['js', 'jsx', 'mjs'], { languageName: 'javascript' });
hljs.registerAliases(['ts', 'tsx'], { languageName: 'typescript' });
hljs.registerAliases(['py'], { languageName: 'python' });
hljs.registerAliases(['rs'], { languageName: 'rust' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });
hljs.registerAliases(['yml'], { languageName: 'yaml' });

function escapeHtml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** How many sources the text being rendered has (set for the duration of one synchronous parse). */
let citable = 0;

const marked = new Marked({
  gfm: true,
  breaks: false,
  renderer: {
    code({ text, lang }: Tokens.Code) {
      const language = (lang ?? '').trim().split(/\s+/)[0] ?? '';
      const known = language !== '' && hljs.getLanguage(language) !== undefined;
      const body = known ? hljs.highlight(text, { language, ignoreIllegals: true }).value : escapeHtml(text);
      const label = escapeHtml(language || 'text');
      return (
        `<div class="code-block"><div class="code-head"><span>${label}</span>` +
        `<button type="button" class="copy-code" aria-label="Copy code">Copy</button></div>` +
        `<pre><code class="hljs${known ? ` language-${label}` : ''}">${body}</code></pre></div>`
      );
    },
  },
  extensions: [
    {
      name: 'citation',
      level: 'inline',
      start(src: string) {
        return src.match(/\[\d+\]/)?.index;
      },
      tokenizer(src: string) {
        const match = /^\[(\d+)\](?!\()/.exec(src);
        if (!match) return undefined;
        return { type: 'citation', raw: match[0], index: Number(match[1]) };
      },
      renderer(token) {
        const index = Number(token.index);
        if (index < 1 || index > citable) return escapeHtml(token.raw);
        return `<button type="button" class="cite" data-cite="${index}" aria-label="Open source ${index}">${index}</button>`;
      },
    },
  ],
});

/** Safe HTML for `text`; `[n]` for n ≤ `sources` become citation buttons. */
export function renderMarkdown(text: string, sources = 0): string {
  citable = sources;
  try {
    const html = marked.parse(text, { async: false });
    return DOMPurify.sanitize(html);
  } finally {
    citable = 0;
  }
}
