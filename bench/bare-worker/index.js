// The baseline for the edge's numbers: the least a worker that stores a request in Workers KV
// can do, on the same wrangler/workerd. No parsing, no checks, no signatures: one KV put.
// For the latency ladder only, `?gets=G&puts=P` makes G reads of one existing key and then P
// writes (each with a small metadata object, as Kelisim's index entries carry), all in series —
// the shape of Kelisim's KV calls for one new receipt, with none of its work.
export default {
  async fetch(req, env) {
    const url = new URL(req.url);
    const gets = Number(url.searchParams.get('gets') ?? 0);
    const puts = Number(url.searchParams.get('puts') ?? 1);
    const body = await req.text();
    for (let i = 0; i < gets; i++) {
      if ((await env.KV.get('bench/fixed')) === null) await env.KV.put('bench/fixed', body);
    }
    for (let i = 0; i < puts; i++) {
      const options = url.searchParams.has('puts') ? { metadata: { id: crypto.randomUUID(), action: 'reject_all' } } : undefined;
      await env.KV.put(crypto.randomUUID(), i === 0 ? body : '', options);
    }
    return new Response('{}', { status: 201, headers: { 'Content-Type': 'application/json' } });
  },
};
