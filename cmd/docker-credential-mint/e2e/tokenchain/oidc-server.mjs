// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// oidc-server.mjs runs node oidc-provider (9.x) as a real OAuth2 server for
// the short-lived token chain of the e2e tests and the demo: one
// client_credentials client (the credential the helper keeps), one client for
// the token service's RFC 7662 introspection calls, opaque access tokens with
// a short life, on 127.0.0.1 only.
//
// Everything comes from the environment, never argv (secrets must not show in
// ps):
//
//	MINT_OIDC_MODULES        directory holding node_modules/oidc-provider
//	                         (.ci/install-tokenchain.sh --print-oidc-dir)
//	MINT_OIDC_CLIENT_ID      the client_credentials client
//	MINT_OIDC_CLIENT_SECRET
//	MINT_OIDC_INTROSPECT_ID  the introspection client (optional: without it
//	MINT_OIDC_INTROSPECT_SECRET  only the main client may introspect)
//	MINT_OIDC_TTL            access token life in seconds (default 10)
//	MINT_OIDC_PORT           port on 127.0.0.1; 0 or unset picks a free one
//
// Keyless exchange (optional; without MINT_OIDC_KEYLESS_AUDIENCE nothing of
// it exists):
//
//	MINT_OIDC_KEYLESS_AUDIENCE    the audience a subject token must carry
//	MINT_OIDC_KEYLESS_CLIENT_ID   a public client (no secret) allowed the
//	                              two grants below
//	MINT_OIDC_CI_REQUEST_TOKEN    the bearer token GET /ci/token requires
//
// Device authorization (RFC 8628; optional):
//
//	MINT_OIDC_DEVICE_CLIENT_ID    a public client (no secret) allowed the
//	                              device_code and refresh_token grants
//
// With it the server enables oidc-provider's deviceFlow (POST /device/auth,
// the user code pages at /device) and its devInteractions (a login form
// that takes any name and password, and a consent form), so that a test
// approves a user code with form posts as a person would in a browser.
// Access tokens of the flow live MINT_OIDC_TTL too; a refresh token comes
// with scope offline_access and is rotated on each use (a public client).
// /stats adds "device_auths" (POSTs to /device/auth).
//
// With the keyless variables the server also stands in for a CI system's identity endpoint
// (GitHub Actions' shape): GET /ci/token?audience=AUD[&ttl=SECONDS] with
// "Authorization: bearer $MINT_OIDC_CI_REQUEST_TOKEN" answers
// {"count":1,"value":JWT}, an RS256 JWT (iss ISSUER/ci, sub "repo:mint/e2e",
// aud AUD, exp now+ttl, default 300 s, negative for an expired one) signed
// by a key of its own. With &sa=NAMESPACE:NAME&sa_uid=UID[&pod=POD] it is
// shaped like a Kubernetes bound service-account token instead (sub
// system:serviceaccount:NAMESPACE:NAME and the kubernetes.io claim), as the
// kubelet passes one to a credential provider. The token endpoint then performs RFC 8693 token
// exchange (subject_token) and the RFC 7523 JWT bearer grant (assertion):
// the JWT's signature, issuer, audience and expiry are checked (jose
// jwtVerify; any failure is 400 invalid_grant naming what failed), and the
// answer is an access token of the client as client_credentials issues it
// (opaque, living MINT_OIDC_TTL, introspectable), with expires_in. /stats
// adds "ci_tokens", "exchanges" (grants answered 200), "exchange_errors"
// and "exchanges_by_subject" ({sub: grants answered 200}).
//
// When it listens it prints one line on stdout, "listening on
// http://127.0.0.1:PORT". Endpoints: POST /token, POST /token/introspection
// (oidc-provider's), and GET /stats, which answers the request counters as
// JSON: {"token_requests": POSTs to /token, "token_errors": those answered
// 4xx/5xx, "introspections": POSTs to /token/introspection}.

import http from 'node:http';
import path from 'node:path';
import crypto from 'node:crypto';
import { pathToFileURL } from 'node:url';

const env = process.env;
const die = (msg) => {
  process.stderr.write(`oidc-server: ${msg}\n`);
  process.exit(2);
};

const modules = env.MINT_OIDC_MODULES || die('MINT_OIDC_MODULES is not set');
const clientId = env.MINT_OIDC_CLIENT_ID || die('MINT_OIDC_CLIENT_ID is not set');
const clientSecret = env.MINT_OIDC_CLIENT_SECRET || die('MINT_OIDC_CLIENT_SECRET is not set');
const ttl = Number(env.MINT_OIDC_TTL || 10);
const port = Number(env.MINT_OIDC_PORT || 0);
if (!Number.isInteger(ttl) || ttl <= 0) die(`MINT_OIDC_TTL=${env.MINT_OIDC_TTL}: want whole seconds > 0`);
if (!Number.isInteger(port) || port < 0 || port > 65535) die(`MINT_OIDC_PORT=${env.MINT_OIDC_PORT}: want a port`);

const { default: Provider, errors } = await import(
  pathToFileURL(path.join(modules, 'node_modules', 'oidc-provider', 'lib', 'index.js')).href
);

const TE = 'urn:ietf:params:oauth:grant-type:token-exchange';
const JB = 'urn:ietf:params:oauth:grant-type:jwt-bearer';
const keylessAudience = env.MINT_OIDC_KEYLESS_AUDIENCE || '';
let jose = null;
let ciKey = null; // { privateKey, publicKey } of the CI stand-in
if (keylessAudience) {
  if (!env.MINT_OIDC_KEYLESS_CLIENT_ID) die('MINT_OIDC_KEYLESS_CLIENT_ID is not set');
  if (!env.MINT_OIDC_CI_REQUEST_TOKEN) die('MINT_OIDC_CI_REQUEST_TOKEN is not set');
  // jose is oidc-provider's own dependency.
  jose = await import(pathToFileURL(path.join(modules, 'node_modules', 'jose', 'dist', 'webapi', 'index.js')).href);
  ciKey = await jose.generateKeyPair('RS256');
}

const client = (id, secret) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
});
const clients = [client(clientId, clientSecret)];
if (keylessAudience) {
  clients.push({
    client_id: env.MINT_OIDC_KEYLESS_CLIENT_ID,
    grant_types: [TE, JB],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'none',
  });
}
const deviceClientId = env.MINT_OIDC_DEVICE_CLIENT_ID || '';
if (deviceClientId) {
  clients.push({
    client_id: deviceClientId,
    application_type: 'native',
    grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    redirect_uris: [],
    response_types: [],
    token_endpoint_auth_method: 'none',
  });
}
const introspectors = new Set([clientId]);
if (env.MINT_OIDC_INTROSPECT_ID) {
  if (!env.MINT_OIDC_INTROSPECT_SECRET) die('MINT_OIDC_INTROSPECT_SECRET is not set');
  clients.push(client(env.MINT_OIDC_INTROSPECT_ID, env.MINT_OIDC_INTROSPECT_SECRET));
  introspectors.add(env.MINT_OIDC_INTROSPECT_ID);
}

const stats = { token_requests: 0, token_errors: 0, introspections: 0 };
if (keylessAudience) Object.assign(stats, { ci_tokens: 0, exchanges: 0, exchange_errors: 0, exchanges_by_subject: {} });
if (deviceClientId) stats.device_auths = 0;
let issuer = '';

// ciToken is the CI stand-in's GET /ci/token.
async function ciToken(req, res) {
  const send = (status, body) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body) + '\n');
  };
  const auth = req.headers.authorization || '';
  if (auth.toLowerCase() !== `bearer ${env.MINT_OIDC_CI_REQUEST_TOKEN}`.toLowerCase()) {
    send(401, { message: 'bad bearer token' });
    return;
  }
  const q = new URL(req.url, issuer).searchParams;
  const ttlAsked = q.has('ttl') ? Number(q.get('ttl')) : 300;
  if (!q.get('audience') || !Number.isInteger(ttlAsked)) {
    send(400, { message: 'want audience and whole seconds of ttl' });
    return;
  }
  const now = Math.floor(Date.now() / 1000);
  let claims = { repository: 'mint/e2e' };
  let subject = 'repo:mint/e2e';
  if (q.get('sa')) {
    const [namespace, name] = q.get('sa').split(':');
    const pod = q.get('pod') || `${name}-pod`;
    if (!namespace || !name || !q.get('sa_uid')) {
      send(400, { message: 'want sa=NAMESPACE:NAME and sa_uid' });
      return;
    }
    subject = `system:serviceaccount:${namespace}:${name}`;
    claims = {
      'kubernetes.io': {
        namespace,
        serviceaccount: { name, uid: q.get('sa_uid') },
        pod: { name: pod, uid: crypto.randomUUID() },
      },
    };
  }
  const value = await new jose.SignJWT(claims)
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: 'ci' })
    .setIssuer(`${issuer}/ci`)
    .setSubject(subject)
    .setJti(crypto.randomUUID())
    .setAudience(q.get('audience'))
    .setIssuedAt(now - (ttlAsked < 0 ? 600 : 0))
    .setExpirationTime(now + ttlAsked)
    .sign(ciKey.privateKey);
  stats.ci_tokens++;
  send(200, { count: 1, value });
}

// exchange performs both keyless grants for a provider (ctx is Koa's),
// counting what it answers.
const exchange = (provider) => async (ctx) => {
  try {
    const sub = await exchangeGrant(provider, ctx);
    stats.exchanges++;
    stats.exchanges_by_subject[sub] = (stats.exchanges_by_subject[sub] || 0) + 1;
  } catch (err) {
    stats.exchange_errors++;
    throw err;
  }
};

async function exchangeGrant(provider, ctx) {
  const p = ctx.oidc.params;
  const subject = p.grant_type === TE ? p.subject_token : p.assertion;
  if (!subject) throw new errors.InvalidRequest(p.grant_type === TE ? 'missing subject_token' : 'missing assertion');
  if (p.grant_type === TE && p.subject_token_type !== 'urn:ietf:params:oauth:token-type:jwt'
      && p.subject_token_type !== 'urn:ietf:params:oauth:token-type:id_token') {
    throw new errors.InvalidRequest('unsupported subject_token_type');
  }
  let verified;
  try {
    verified = await jose.jwtVerify(subject, ciKey.publicKey, { issuer: `${issuer}/ci`, audience: keylessAudience, algorithms: ['RS256'] });
  } catch (err) {
    // error_description says which check failed (the default text does not).
    const e = new errors.InvalidGrant('subject token rejected');
    e.error_description = `subject token rejected: ${err.code || 'ERR'}: ${err.message}`;
    throw e;
  }
  const t = new provider.ClientCredentials({ client: ctx.oidc.client, scope: p.scope || undefined });
  const value = await t.save();
  ctx.body = {
    access_token: value,
    token_type: 'Bearer',
    expires_in: t.expiration,
    ...(t.scope ? { scope: t.scope } : {}),
    ...(p.grant_type === TE ? { issued_token_type: 'urn:ietf:params:oauth:token-type:access_token' } : {}),
  };
  return verified.payload.sub;
}
let handler = null; // provider.callback(), once the port (part of the issuer) is known

const server = http.createServer((req, res) => {
  const url = req.url.split('?')[0];
  if (req.method === 'GET' && url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(stats) + '\n');
    return;
  }
  if (keylessAudience && req.method === 'GET' && url === '/ci/token') {
    ciToken(req, res).catch((err) => {
      res.writeHead(500);
      res.end(`${err}\n`);
    });
    return;
  }
  if (req.method === 'POST' && url === '/token') {
    stats.token_requests++;
    res.on('finish', () => {
      if (res.statusCode >= 400) stats.token_errors++;
    });

  } else if (req.method === 'POST' && url === '/token/introspection') {
    stats.introspections++;
  } else if (deviceClientId && req.method === 'POST' && url === '/device/auth') {
    stats.device_auths++;
  }
  handler(req, res);
});

server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  issuer = `http://127.0.0.1:${bound}`;
  const provider = new Provider(issuer, {
    clients,
    cookies: { keys: [crypto.randomBytes(32).toString('hex')] },
    features: {
      clientCredentials: { enabled: true },
      introspection: {
        enabled: true,
        // Only the configured clients may introspect.
        allowedPolicy: async (ctx, caller) => introspectors.has(caller.clientId),
      },
      devInteractions: { enabled: Boolean(deviceClientId) },
      deviceFlow: { enabled: Boolean(deviceClientId) },
      revocation: { enabled: false },
    },
    ttl: { ClientCredentials: ttl, AccessToken: ttl },
  });
  if (keylessAudience) {
    const teParams = ['subject_token', 'subject_token_type', 'audience', 'resource', 'scope', 'requested_token_type', 'actor_token', 'actor_token_type'];
    provider.registerGrantType(TE, exchange(provider), teParams, ['resource', 'audience']);
    provider.registerGrantType(JB, exchange(provider), ['assertion', 'scope', 'audience', 'resource'], ['resource', 'audience']);
  }
  provider.on('server_error', (ctx, err) => process.stderr.write(`oidc-server: server_error: ${err}\n`));
  handler = provider.callback();
  process.stdout.write(`listening on ${issuer}\n`);
});

for (const sig of ['SIGTERM', 'SIGINT']) {
  process.on(sig, () => {
    server.close();
    process.exit(0);
  });
}
