// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Package keylesstest holds the integration tests of keyless identity
// (oauth2 grants token_exchange and jwt_bearer) against a real OAuth2
// server: node oidc-provider, run by the e2e launcher
// ../../e2e/tokenchain/oidc-server.mjs in its keyless mode, which also
// stands in for GitHub Actions' identity endpoint and checks each subject
// token's signature, issuer, audience and expiry. It has no code of its own.
package keylesstest
