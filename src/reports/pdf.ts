// HTML to PDF with a headless Chromium driven by playwright-core: the daily report's PDF is the same HTML the
// Markdown mirrors, printed on A4 with page numbers.

import { existsSync, writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';
import { escapeHtml } from './format.ts';

/** Where Chromium is looked for unless HF_CHROMIUM names another executable. */
export const DEFAULT_CHROMIUM = '/usr/bin/chromium';

const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--no-first-run',
];

export class PdfUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PdfUnavailableError';
  }
}

export interface PdfOptions {
  /** The Chromium executable; default $HF_CHROMIUM or /usr/bin/chromium. */
  readonly executablePath?: string;
  /** Printed in the footer of every page beside the page number. */
  readonly footer?: string;
}

export function chromiumPath(options: PdfOptions = {}): string {
  return options.executablePath ?? process.env.HF_CHROMIUM ?? DEFAULT_CHROMIUM;
}

const INSTALL_HINT =
  'install Chromium (Debian/Ubuntu: apt-get install chromium; or npx playwright install chromium) and point ' +
  'HF_CHROMIUM at the executable if it is not /usr/bin/chromium';

/** Prints `html` to `file` as an A4 PDF; throws a PdfUnavailableError saying what to do when it cannot. */
export async function writePdf(html: string, file: string, options: PdfOptions = {}): Promise<void> {
  const executablePath = chromiumPath(options);
  if (!existsSync(executablePath))
    throw new PdfUnavailableError(`no Chromium at ${executablePath}: ${INSTALL_HINT}`);
  let browser;
  try {
    browser = await chromium.launch({ executablePath, args: CHROMIUM_ARGS, timeout: 60_000 });
  } catch (error) {
    throw new PdfUnavailableError(
      `Chromium at ${executablePath} did not start (${error instanceof Error ? error.message.split('\n')[0] : String(error)}): ${INSTALL_HINT}`,
    );
  }
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    const footer = escapeHtml(options.footer ?? '');
    const pdf = await page.pdf({
      format: 'A4',
      printBackground: true,
      margin: { top: '14mm', bottom: '16mm', left: '12mm', right: '12mm' },
      displayHeaderFooter: true,
      headerTemplate: '<div></div>',
      footerTemplate: `<div style="font-size:8px;color:#666;width:100%;padding:0 12mm;display:flex;justify-content:space-between"><span>${footer}</span><span>page <span class="pageNumber"></span> of <span class="totalPages"></span></span></div>`,
    });
    writeFileSync(file, pdf);
  } finally {
    await browser.close();
  }
}
