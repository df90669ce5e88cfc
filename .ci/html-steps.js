// html-steps.js PAGE.html: opens an exported page in headless Chromium,
// clicks "next" a few times and presses → , and checks that the
// highlighted step and its narration change each time, and that no
// request leaves the page (it must work offline).
const { chromium } = require("playwright-core");

(async () => {
  const page_ = process.argv[2];
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
      "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  });
  const page = await browser.newPage();
  const requests = [];
  page.on("request", (r) => { if (!r.url().startsWith("file:")) requests.push(r.url()); });
  const errors = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto("file://" + page_);
  const state = () => page.evaluate(() => ({
    current: Array.from(document.querySelectorAll("#picture .step.current")).map((g) => g.dataset.seq),
    ahead: document.querySelectorAll("#picture .step.ahead").length,
    narration: document.getElementById("narration").textContent,
  }));
  let prev = await state();
  if (prev.current.length !== 0) throw new Error("a step is highlighted before the first: " + JSON.stringify(prev));
  const seen = [];
  const n = await page.evaluate(() => document.querySelectorAll("#picture .step").length);
  const moves = Math.min(4, n);
  if (moves < 3) throw new Error(`only ${n} steps in the picture`);
  for (let i = 0; i < moves; i++) {
    if (i < moves - 1) await page.click("#next"); else await page.keyboard.press("ArrowRight");
    const now = await state();
    if (now.current.length !== 1) throw new Error(`after move ${i + 1}: ${now.current.length} highlighted steps`);
    if (now.current[0] === prev.current[0]) throw new Error(`after move ${i + 1}: the highlighted step did not change (${now.current[0]})`);
    if (now.narration === prev.narration) throw new Error(`after move ${i + 1}: the narration did not change`);
    if (now.ahead >= prev.ahead && i > 0) throw new Error(`after move ${i + 1}: no fewer steps dimmed ahead`);
    seen.push(now.current[0]);
    prev = now;
  }
  await page.click("#prev");
  const back = await state();
  if (back.current[0] !== seen[moves - 2]) throw new Error(`previous went to step ${back.current[0]}, want ${seen[moves - 2]}`);
  if (errors.length) throw new Error("page errors: " + errors.join("; "));
  if (requests.length) throw new Error("the page made requests: " + requests.join(", "));
  console.log(`html-steps: ${page_}: ok (highlighted steps ${seen.join(" → ")}, back to ${back.current[0]})`);
  await browser.close();
})().catch((e) => { console.error("html-steps: " + e.message); process.exit(1); });
