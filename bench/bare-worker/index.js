// The baseline for the edge's numbers: the least a worker that stores a request in Workers KV
// can do, on the same wrangler/workerd. No parsing, no checks, no signatures: one KV put.
// `?shape=receipt` makes the KV calls of one new Kelisim receipt, in the same order and with
// none of its work: one read (the id check; the policy version and site config come from the
// isolate's cache), the record, then the two index entries together (with a small metadata
// object, as Kelisim's index entries carry). Paths under `/noop` answer at once with no KV call
// (the soak's baseline for the runtime's own memory).
export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    const body = await req.text();
    if (url.pathname.startsWith('/noop')) return new Response('{}', { status: 404 });
    if (url.searchParams.get('shape') === 'receipt') {
      const id = crypto.randomUUID();
      await env.KV.get(`r/${id}`);
      await env.KV.put(`r/${id}`, body);
      const metadata = { id, action: 'reject_all' };
      await Promise.all([env.KV.put(`t/${id}`, '', { metadata }), env.KV.put(`s/${id}`, '', { metadata })]);
    } else {
      await env.KV.put(crypto.randomUUID(), body);
    }
    return new Response('{}', { status: 201, headers: { 'Content-Type': 'application/json' } });
  },
};
