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

const { default: Provider } = await import(
  pathToFileURL(path.join(modules, 'node_modules', 'oidc-provider', 'lib', 'index.js')).href
);

const client = (id, secret) => ({
  client_id: id,
  client_secret: secret,
  grant_types: ['client_credentials'],
  redirect_uris: [],
  response_types: [],
  token_endpoint_auth_method: 'client_secret_basic',
});
const clients = [client(clientId, clientSecret)];
const introspectors = new Set([clientId]);
if (env.MINT_OIDC_INTROSPECT_ID) {
  if (!env.MINT_OIDC_INTROSPECT_SECRET) die('MINT_OIDC_INTROSPECT_SECRET is not set');
  clients.push(client(env.MINT_OIDC_INTROSPECT_ID, env.MINT_OIDC_INTROSPECT_SECRET));
  introspectors.add(env.MINT_OIDC_INTROSPECT_ID);
}

const stats = { token_requests: 0, token_errors: 0, introspections: 0 };
let handler = null; // provider.callback(), once the port (part of the issuer) is known

const server = http.createServer((req, res) => {
  const url = req.url.split('?')[0];
  if (req.method === 'GET' && url === '/stats') {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(stats) + '\n');
    return;
  }
  if (req.method === 'POST' && url === '/token') {
    stats.token_requests++;
    res.on('finish', () => {
      if (res.statusCode >= 400) stats.token_errors++;
    });
  } else if (req.method === 'POST' && url === '/token/introspection') {
    stats.introspections++;
  }
  handler(req, res);
});

server.listen(port, '127.0.0.1', () => {
  const { port: bound } = server.address();
  const issuer = `http://127.0.0.1:${bound}`;
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
      devInteractions: { enabled: false },
      revocation: { enabled: false },
    },
    ttl: { ClientCredentials: ttl },
  });
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
