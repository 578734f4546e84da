// The baseline for the edge's numbers: the least a worker that stores a request in Workers KV
// can do, on the same wrangler/workerd. No parsing, no checks, no signatures: one KV put.
// `?shape=receipt` makes the KV calls of one new Kelisim receipt under the ledger design
// (docs/ledger.md §4): the site config and policy come from the isolate's cache, so the only KV
// call is the one put of the record, under its `receipt/{site}/{id}` key with its `{ index }`
// metadata. What it cannot imitate is the rest of Kelisim's path: the round trip to the site's
// Durable Object and the object's SQL commit (a plain worker has neither). Paths under `/noop`
// answer at once with no KV call (the soak's baseline for the runtime's own memory).
let index = 0;

export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    const body = await req.text();
    if (url.pathname.startsWith('/noop')) return new Response('{}', { status: 404 });
    if (url.searchParams.get('shape') === 'receipt') {
      await env.KV.put(`receipt/crm-demo/${crypto.randomUUID()}`, body, { metadata: { index: index++ } });
    } else {
      await env.KV.put(crypto.randomUUID(), body);
    }
    return new Response('{}', { status: 201, headers: { 'Content-Type': 'application/json' } });
  },
};
