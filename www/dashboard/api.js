// The operator API client. Same origin as the dashboard (the edge serves both), the token only
// ever goes in the Authorization header, never in a URL.
import { TEXTS, t } from './i18n.js';

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

/** Why a token cannot be sent at all (the i18n key of the reason), or null. */
export function tokenProblem(token) {
  if (!token) return 'signin.noToken';
  if (!TOKEN_CHARS.test(token)) return 'signin.badToken';
  return null;
}

/** Why a site id is malformed (the i18n key of the reason), or null. */
export function siteProblem(site) {
  if (!site) return 'signin.noSite';
  if (!SITE_ID.test(site)) return 'signin.badSite';
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
    /** The current policy with its texts in `language` where it has them (public route: no token sent). */
    policy: async (language, opts) => (await send(siteUrl(session.site, '/policy', { lang: language }), opts)).json(),
  };
}

/** The error's text in the current language for a known code, else the server's own message. */
function errorMessage(err) {
  const key = `code.${err.code}`;
  return key in TEXTS.en ? t(key, { max: MAX_EXPORT_REQUESTS }) : String(err.message ?? '');
}

/** A readable sentence for an error from the API, in the current language; it keeps the stable code. */
export function describeError(err, site) {
  if (!(err instanceof ApiError)) return t('error.unexpected', { message: err?.message ?? String(err) });
  const tail = err.status ? t('error.tail', { status: String(err.status), code: err.code }) : '';
  const message = errorMessage(err);
  switch (true) {
    case err.status === 401 || err.status === 403:
      return t('error.auth', { tail, site });
    case err.status === 404 && err.code === 'unknown_site':
      return t('error.unknownSite', { tail, site });
    case err.status === 404:
      return t('error.notFound', { message, tail });
    case err.status === 429:
      return t('error.rateLimited', { tail });
    case err.status >= 500:
      return t('error.server', { message, tail });
    case err.status === 0:
      return message;
    default:
      return capitalise(t('error.other', { message, tail }));
  }
}

const capitalise = (text) => text.charAt(0).toUpperCase() + text.slice(1);
