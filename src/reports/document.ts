// A report as sections of paragraphs, lists, tables and charts, rendered to Markdown (charts as SVG files beside
// it) and to HTML (charts inline), so the Markdown and the PDF printed from the HTML say the same thing.

import { escapeHtml, htmlTable, markdownTable, type Table } from './format.ts';

export type ReportBlock =
  | { readonly kind: 'paragraph'; readonly text: string }
  | { readonly kind: 'list'; readonly items: readonly string[] }
  | { readonly kind: 'table'; readonly caption?: string; readonly table: Table }
  /** `file`: the SVG's name beside the Markdown. */
  | { readonly kind: 'chart'; readonly title: string; readonly file: string; readonly svg: string };

export interface ReportSection {
  readonly title: string;
  readonly blocks: readonly ReportBlock[];
}

export interface ReportDocument {
  readonly title: string;
  /** Lines under the title: what, when, from where. */
  readonly subtitle: readonly string[];
  readonly sections: readonly ReportSection[];
}

/** Text that Markdown would otherwise read as markup (emphasis, code, HTML) shown as written. */
function markdownText(text: string): string {
  return text.replace(/([\\`*<>[\]])/g, '\\$1');
}

export function renderMarkdown(document: ReportDocument): string {
  const lines: string[] = [`# ${markdownText(document.title)}`, ''];
  for (const line of document.subtitle) lines.push(`${markdownText(line)}  `);
  for (const section of document.sections) {
    lines.push('', `## ${markdownText(section.title)}`);
    for (const block of section.blocks) {
      lines.push('');
      switch (block.kind) {
        case 'paragraph':
          lines.push(markdownText(block.text));
          break;
        case 'list':
          for (const item of block.items) lines.push(`- ${markdownText(item)}`);
          break;
        case 'table':
          if (block.caption !== undefined) lines.push(`**${markdownText(block.caption)}**`, '');
          lines.push(...markdownTable(block.table));
          break;
        case 'chart':
          lines.push(`![${markdownText(block.title)}](${encodeURI(block.file)})`);
          break;
      }
    }
  }
  return lines.join('\n') + '\n';
}

const STYLE = `
@page { size: A4; }
* { box-sizing: border-box; }
body { font-family: Helvetica, Arial, sans-serif; font-size: 10px; color: #222; margin: 0; line-height: 1.35; }
h1 { font-size: 19px; margin: 0 0 4px; }
.subtitle { color: #555; margin: 0 0 10px; }
.subtitle div { margin: 1px 0; }
h2 { font-size: 13px; margin: 16px 0 6px; padding-bottom: 2px; border-bottom: 1.5px solid #1f5fa8; color: #1f3f66; break-after: avoid; }
p { margin: 4px 0; }
ul { margin: 4px 0; padding-left: 16px; }
li { margin: 1px 0; }
.caption { font-weight: bold; margin: 8px 0 2px; break-after: avoid; }
table { border-collapse: collapse; width: auto; min-width: 55%; margin: 2px 0 8px; font-size: 8.5px; }
table.wide { width: 100%; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { padding: 2px 8px; border-bottom: 1px solid #e4e4e4; vertical-align: top; }
th { background: #eef2f7; font-weight: bold; border-bottom: 1px solid #b8c4d4; }
td.right, th.right { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.left, th.left { text-align: left; }
td:first-child { white-space: nowrap; }
tbody tr:nth-child(even) td { background: #fafbfc; }
.chart { break-inside: avoid; margin: 4px 0 8px; }
.chart svg { width: 100%; height: auto; display: block; }
`;

export function renderHtml(document: ReportDocument): string {
  const body: string[] = [
    `<h1>${escapeHtml(document.title)}</h1>`,
    `<div class="subtitle">${document.subtitle.map((line) => `<div>${escapeHtml(line)}</div>`).join('')}</div>`,
  ];
  for (const section of document.sections) {
    body.push(`<section>`, `<h2>${escapeHtml(section.title)}</h2>`);
    for (const block of section.blocks) {
      switch (block.kind) {
        case 'paragraph':
          body.push(`<p>${escapeHtml(block.text)}</p>`);
          break;
        case 'list':
          body.push(`<ul>${block.items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul>`);
          break;
        case 'table':
          if (block.caption !== undefined)
            body.push(`<div class="caption">${escapeHtml(block.caption)}</div>`);
          body.push(htmlTable(block.table));
          break;
        case 'chart':
          body.push(`<div class="chart">${block.svg}</div>`);
          break;
      }
    }
    body.push(`</section>`);
  }
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(document.title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body.join('\n')}
</body>
</html>
`;
}
