// Drives `facekit serve`'s /ui page in headless Chromium (Debian's, through playwright-core):
// uploads two photos (verdict and boxes), then one photo (analysis and boxes), saves a screenshot
// of each and prints what the page showed as one JSON line. Run by tests/test_server_ui.cpp:
//   node ui_check.js BASE_URL PHOTO1 PHOTO2 SOLO_PHOTO OUT_DIR
const { chromium } = require('playwright-core');

async function run(page, base, files, screenshot) {
  await page.goto(base + '/ui');
  await page.setInputFiles('#img1', files[0]);
  if (files[1]) await page.setInputFiles('#img2', files[1]);
  await page.click('#go');
  await page.waitForSelector('#result[data-state="done"], #result[data-state="error"]', { timeout: 180000 });
  const result = {
    state: await page.getAttribute('#result', 'data-state'),
    verdict: (await page.textContent('#verdict')).trim(),
    boxes: Number(await page.getAttribute('#result', 'data-boxes')),
    canvases: await page.locator('canvas.photo').count(),
    screenshot,
  };
  await page.screenshot({ path: screenshot, fullPage: true });
  return result;
}

(async () => {
  const [base, photo1, photo2, solo, out] = process.argv.slice(2);
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const verify = await run(page, base, [photo1, photo2], out + '/ui_verify.png');
    const analyze = await run(page, base, [solo], out + '/ui_analyze.png');
    console.log(JSON.stringify({ verify, analyze }));
  } finally {
    await browser.close();
  }
})().catch((e) => {
  console.error(e.stack || String(e));
  process.exit(1);
});
