// The soak section: a fixed-concurrency mixed load (valid, malformed and invalid receipts) on
// its own edge, with the edge isolate's wasm memory before and after and workerd's resident
// memory each second; beside it the same load on a worker that does nothing, under the same
// wrangler, to tell the runtime's own growth from the edge's.
import { runLoad, wasmPages, workerdRssKiB } from '../../tests/lib/load.mjs';
import { startStack } from '../../tests/lib/stack.mjs';
import { startBare } from './edge.mjs';

const CONCURRENCY = 8;

/** Load for `seconds` while sampling the RSS of the workerd processes in `pgid` each second. */
async function sampled(pgid, load) {
  const rss = [workerdRssKiB(pgid)];
  const timer = setInterval(() => rss.push(workerdRssKiB(pgid)), 1000);
  const result = await load();
  clearInterval(timer);
  rss.push(workerdRssKiB(pgid));
  return { result, rss };
}

export async function benchSoak({ quick, logDir }) {
  const seconds = quick ? 15 : 60;
  const stack = await startStack({
    name: 'bench-soak',
    editConfig: (t) => `${t.replace(/limit = \d+/g, 'limit = 1000000')}\n[vars]\nKELISIM_DIAGNOSTICS = "1"\n`,
  });
  let edge;
  try {
    const served = (await stack.api('GET', '/v1/sites/crm-demo/policy')).json;
    await runLoad({ edgeUrl: stack.edgeUrl, served, concurrency: CONCURRENCY, durationMs: 2000 });
    const pagesBefore = await wasmPages(stack.edgeUrl);
    const { result, rss } = await sampled(stack.edgeProcessGroup(),
      () => runLoad({ edgeUrl: stack.edgeUrl, served, concurrency: CONCURRENCY, durationMs: seconds * 1000 }));
    const pagesAfter = await wasmPages(stack.edgeUrl);
    let missing = 0;
    for (const id of result.accepted) {
      const res = await stack.admin('GET', `/v1/sites/crm-demo/receipts/${id}`);
      if (res.status !== 200 || res.json.valid !== true) missing++;
    }
    edge = { sent: result.sent, statuses: result.statuses, transportErrors: result.errors, accepted: result.accepted.length,
      missing, pagesBefore, pagesAfter, rss };

    // The same load against a worker that answers at once (bench/bare-worker, `/noop`).
    const bare = await startBare(logDir);
    try {
      const noopLoad = await sampled(bare.pgid, () => runLoad({ edgeUrl: `${bare.url}/noop`, served, concurrency: CONCURRENCY, durationMs: seconds * 1000 }));
      return { seconds, concurrency: CONCURRENCY, edge, noop: { sent: noopLoad.result.sent, rss: noopLoad.rss } };
    } finally {
      await bare.stop();
    }
  } finally {
    await stack.stop();
  }
}
