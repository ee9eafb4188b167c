// What the browser tests do with a page of the demo: open it in a visitor's own browser context,
// wait for what it shows (every wait has a timeout and reports what the page showed instead; nothing
// asserts on elapsed time), and keep screenshots of each step in artifacts/.
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const artifacts = path.join(here, "artifacts");
export const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const STEP_TIMEOUT = 20000;

/** Fails naming scripts/browser-deps when the browser is missing; makes the artifacts folder. */
export function browserReady() {
  if (!fs.existsSync(chromiumPath)) {
    throw new Error(`${chromiumPath} is missing: run scripts/browser-deps or set CHROMIUM_PATH`);
  }
  fs.mkdirSync(artifacts, { recursive: true });
}

/** A new visitor: its own context (cookies, network state) and page, open on `url`. */
export async function openVisitor(browser, name, url, pageErrors) {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 } });
  context.setDefaultTimeout(STEP_TIMEOUT);
  const page = await context.newPage();
  page.on("pageerror", (error) => pageErrors.push(`${name}: ${error.message}`));
  await page.goto(url, { timeout: STEP_TIMEOUT });
  return { name, context, page };
}

export const byTestId = (id) => `[data-testid="${id}"]`;

export const shoot = ({ page, name }, step) =>
  page.screenshot({ path: path.join(artifacts, `${step}-${name}.png`), fullPage: true, timeout: STEP_TIMEOUT });

/** Waits until `read(arg)`, run in the page, returns `expected`; fails with the last value seen. */
export async function waitFor({ page, name }, what, read, arg, expected) {
  const call = `(${read})(${JSON.stringify(arg)})`;
  try {
    await page.waitForFunction(`JSON.stringify(${call}) === ${JSON.stringify(JSON.stringify(expected))}`, null, {
      timeout: STEP_TIMEOUT,
      polling: 50,
    });
  } catch (error) {
    const actual = await page.evaluate(call).catch(() => "(unreadable)");
    await shoot({ page, name }, `failed-${what.replace(/\W+/g, "-")}`).catch(() => {});
    throw new Error(`${name}: ${what}: expected ${JSON.stringify(expected)}, page shows ${JSON.stringify(actual)} (${error.message.split("\n")[0]})`);
  }
}

// Readers for waitFor: they run inside the page.
export const textOf = (id) => document.querySelector(`[data-testid="${id}"]`)?.textContent ?? null;
export const attrOf = ([id, attribute]) => document.querySelector(`[data-testid="${id}"]`)?.getAttribute(attribute) ?? null;
export const allOf = ([id, attribute]) => [...document.querySelectorAll(`[data-testid="${id}"]`)].map((e) => e.getAttribute(attribute));
export const countOf = (id) => document.querySelectorAll(`[data-testid="${id}"]`).length;
