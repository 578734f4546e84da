// The operator API client. Same origin as the dashboard (the edge serves both), the token only
// ever goes in the Authorization header, never in a URL.

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.code = code;
  }
}

const TOKEN_CHARS = /^[\x21-\x7e]+$/;
export const SITE_ID = /^[a-z0-9][a-z0-9_-]{0,63}$/;
export const SUBJECT_ID = /^[A-Za-z0-9_-]{43}$/;

/** Why a token cannot be sent at all, or null. */
export function tokenProblem(token) {
  if (!token) return 'Enter the operator token.';
  if (!TOKEN_CHARS.test(token)) return 'The token contains spaces or characters a token cannot have.';
  return null;
}

/** Why a site id is malformed, or null. */
export function siteProblem(site) {
  if (!site) return 'Enter the site id.';
  if (!SITE_ID.test(site)) return 'A site id is up to 64 lower-case letters, digits, “-” and “_” (for example crm-demo).';
  return null;
}

function siteUrl(site, path, params) {
  const url = new URL(`/v1/sites/${encodeURIComponent(site)}${path}`, window.location.origin);
  for (const [key, value] of Object.entries(params ?? {})) {
    if (value !== undefined && value !== null && value !== '') url.searchParams.set(key, String(value));
  }
  return url;
}

async function send(url, { token, accept = 'application/json', signal } = {}) {
  const headers = { Accept: accept };
  if (token) headers.Authorization = `Bearer ${token}`;
  let res;
  try {
    res = await fetch(url, { headers, signal, cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' });
  } catch (err) {
    if (err?.name === 'AbortError') throw err;
    throw new ApiError(0, 'network', 'Cannot reach the edge. Check your connection and try again.');
  }
  if (!res.ok) {
    let body;
    try { body = await res.json(); } catch { body = undefined; }
    const error = body?.error ?? {};
    throw new ApiError(res.status, typeof error.code === 'string' ? error.code : `http_${res.status}`,
      typeof error.message === 'string' ? error.message : res.statusText || 'request failed');
  }
  return res;
}

/** The response header naming where an export's next chunk starts (absent after the last). */
const NEXT_CURSOR_HEADER = 'Kelisim-Next-Cursor';
/** The same cursor as the last line of a chunk's body. */
const NEXT_CURSOR_LINE = 'kelisim-next-cursor: ';
/** Export chunks followed at most (each up to 900 receipts). */
const MAX_EXPORT_REQUESTS = 10000;

/** A client bound to one session ({token, site}). */
export function client(session) {
  const get = (path, params, opts) => send(siteUrl(session.site, path, params), { token: session.token, ...opts });
  const json = async (path, params, opts) => (await get(path, params, opts)).json();
  return {
    site: session.site,
    /** {receipts:[Summary], cursor} */
    receipts: (params, opts) => json('/receipts', params, opts),
    /** {signed, verification, valid, chain} */
    receipt: (id, opts) => json(`/receipts/${encodeURIComponent(id)}`, undefined, opts),
    /** {subject, state, fork, forks, receipts} */
    subject: (subject, opts) => json(`/subjects/${encodeURIComponent(subject)}`, undefined, opts),
    /** {from, to, days, truncated} */
    stats: (params, opts) => json('/stats', params, opts),
    /**
     * The whole export as a Blob: one request per chunk (each bounded by the edge), following
     * `Kelisim-Next-Cursor` until it is absent. `onChunk(chunks, bytes)` reports progress.
     */
    exportBlob: async (params, opts, onChunk) => {
      const accept = params.format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      const parts = [];
      let bytes = 0;
      let cursor;
      for (let chunk = 1; chunk <= MAX_EXPORT_REQUESTS; chunk++) {
        const res = await get('/export', { ...params, cursor }, { accept, ...opts });
        const next = res.headers.get(NEXT_CURSOR_HEADER);
        let text = await res.text();
        // The same cursor ends the body as a last line; it is not part of the data.
        if (next) text = text.slice(0, text.lastIndexOf(`${NEXT_CURSOR_LINE}${next}\n`));
        parts.push(text);
        bytes += text.length;
        onChunk?.(chunk, bytes);
        if (!next) return new Blob(parts, { type: accept });
        if (next === cursor) throw new ApiError(0, 'export_loop', 'The edge named the same export cursor twice.');
        cursor = next;
      }
      throw new ApiError(0, 'export_too_long', `The export did not end after ${MAX_EXPORT_REQUESTS} requests.`);
    },
    /** The current policy (public route: no token sent). */
    policy: async (opts) => (await send(siteUrl(session.site, '/policy', { lang: 'en' }), opts)).json(),
  };
}

/** A readable sentence for an error from the API. */
export function describeError(err, site) {
  if (!(err instanceof ApiError)) return `Unexpected error: ${err?.message ?? err}`;
  const tail = err.status ? ` (HTTP ${err.status}, ${err.code})` : '';
  switch (true) {
    case err.status === 401 || err.status === 403:
      return `Token invalid or lacks scope for this action${tail}. Sign out and sign in with a token for site “${site}” that has the needed scope.`;
    case err.status === 404 && err.code === 'unknown_site':
      return `Unknown site “${site}”${tail}.`;
    case err.status === 404:
      return `Not found: ${err.message}${tail}.`;
    case err.status === 429:
      return `Too many requests; wait a moment and try again${tail}.`;
    case err.status >= 500:
      return `The edge failed to answer: ${err.message}${tail}. Try again.`;
    case err.status === 0:
      return err.message;
    default:
      return `${capitalise(err.message)}${tail}.`;
  }
}

const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);
