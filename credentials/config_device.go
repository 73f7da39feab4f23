// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package credentials

import "github.com/docker-credential-mint/mint/credentials/internal/yamlsub"

// GrantDeviceCode is the OAuth 2.0 device authorization grant (RFC 8628),
// for people: `docker-credential-mint login --device REGISTRY` shows a code
// to approve in a browser, waits for the approval and stores the refresh
// token it gets as the root credential; from then on get mints access
// tokens with the refresh token grant, as for grant refresh_token. The
// entry needs device_authorization_url and client_id (a public client: no
// secret is stored).
const GrantDeviceCode = "device_code"

// checkDevice checks the keys that only grant device_code takes
// (device_authorization_url) and the ones it needs (client_id).
func (p *parser) checkDevice(r *Registry, n *yamlsub.Node, keys map[string]*yamlsub.Node) error {
	k := keys["device_authorization_url"]
	if r.Grant != GrantDeviceCode {
		if k != nil {
			return p.errf(k, "device_authorization_url", "only for grant device_code")
		}
		return nil
	}
	if k == nil {
		return p.errf(n, "device_authorization_url", "required for grant device_code (the identity provider's device authorization endpoint)")
	}
	if err := checkTokenURL(r.DeviceAuthURL, r.Insecure); err != nil {
		return p.errf(k, "device_authorization_url", "%v", err)
	}
	if r.ClientID == "" {
		return p.errf(n, "client_id", "required for grant device_code (the client registered at the identity provider)")
	}
	return nil
}
