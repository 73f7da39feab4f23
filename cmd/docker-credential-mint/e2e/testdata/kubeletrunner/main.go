// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

// Command kubeletrunner drives the kubelet's own image credential provider
// plugin runner (k8s.io/kubernetes/pkg/credentialprovider/plugin, the code
// the kubelet runs) for the e2e tests: it registers the providers of a
// CredentialProviderConfig, then looks up each pull's image in the
// keyring of its pod, as the kubelet does before pulling, and prints what
// it found, one JSON object a line. Service-account tokens (for providers
// with tokenAttributes) are asked, as the kubelet asks the API server's
// TokenRequest, of a token endpoint given in the environment:
//
//	MINT_RUNNER_TOKEN_URL     GET URL?audience=AUD&sa=NS:NAME&sa_uid=UID&pod=POD&ttl=600
//	MINT_RUNNER_TOKEN_BEARER  its bearer token
//
// stdin: {"serviceAccounts": {"NS/NAME": "UID"}, "pulls": [{"namespace",
// "pod", "podUID", "serviceAccount", "image"}]}. stdout: {"pod", "image",
// "found", "username", "password"} per pull, then {"tokenRequests": N}.
// Not a test of its own: the e2e tests run it.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync/atomic"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/kubernetes/pkg/credentialprovider/plugin"
)

type input struct {
	ServiceAccounts map[string]string `json:"serviceAccounts"`
	Pulls           []struct {
		Namespace      string `json:"namespace"`
		Pod            string `json:"pod"`
		PodUID         string `json:"podUID"`
		ServiceAccount string `json:"serviceAccount"`
		Image          string `json:"image"`
	} `json:"pulls"`
}

func main() {
	log.SetFlags(0)
	log.SetPrefix("kubeletrunner: ")
	config := flag.String("config", "", "the kubelet's CredentialProviderConfig")
	binDir := flag.String("bin-dir", "", "the kubelet's credential provider plugin directory")
	flag.Parse()
	if *config == "" || *binDir == "" {
		log.Fatal("-config and -bin-dir are required")
	}
	var in input
	if err := json.NewDecoder(os.Stdin).Decode(&in); err != nil {
		log.Fatalf("stdin: %v", err)
	}
	tokenURL, bearer := os.Getenv("MINT_RUNNER_TOKEN_URL"), os.Getenv("MINT_RUNNER_TOKEN_BEARER")
	var requests atomic.Int32
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{Proxy: nil}}
	getToken := func(namespace, name string, tr *authenticationv1.TokenRequest) (*authenticationv1.TokenRequest, error) {
		requests.Add(1)
		uid, ok := in.ServiceAccounts[namespace+"/"+name]
		if !ok || tokenURL == "" {
			return nil, fmt.Errorf("no service account %s/%s", namespace, name)
		}
		pod := ""
		if tr.Spec.BoundObjectRef != nil {
			pod = tr.Spec.BoundObjectRef.Name
		}
		q := url.Values{"audience": {strings.Join(tr.Spec.Audiences, ",")}, "sa": {namespace + ":" + name}, "sa_uid": {uid}, "pod": {pod}, "ttl": {"600"}}
		req, err := http.NewRequest(http.MethodGet, tokenURL+"?"+q.Encode(), nil)
		if err != nil {
			return nil, err
		}
		req.Header.Set("Authorization", "bearer "+bearer)
		resp, err := hc.Do(req)
		if err != nil {
			return nil, err
		}
		defer resp.Body.Close()
		var v struct{ Value string }
		if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<16)).Decode(&v); err != nil || v.Value == "" {
			return nil, fmt.Errorf("token endpoint: %s", resp.Status)
		}
		out := tr.DeepCopy()
		out.Status = authenticationv1.TokenRequestStatus{Token: v.Value, ExpirationTimestamp: metav1.NewTime(time.Now().Add(600 * time.Second))}
		return out, nil
	}
	getSA := func(namespace, name string) (*v1.ServiceAccount, error) {
		uid, ok := in.ServiceAccounts[namespace+"/"+name]
		if !ok {
			return nil, fmt.Errorf("no service account %s/%s", namespace, name)
		}
		return &v1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: namespace, Name: name, UID: types.UID(uid)}}, nil
	}
	if err := plugin.RegisterCredentialProviderPlugins(*config, *binDir, getToken, getSA); err != nil {
		log.Fatalf("register: %v", err)
	}
	enc := json.NewEncoder(os.Stdout)
	for _, p := range in.Pulls {
		kr := plugin.NewExternalCredentialProviderDockerKeyring(p.Namespace, p.Pod, p.PodUID, p.ServiceAccount)
		creds, found := kr.Lookup(p.Image)
		out := map[string]any{"pod": p.Pod, "image": p.Image, "found": found && len(creds) > 0}
		if len(creds) > 0 {
			out["username"], out["password"] = creds[0].Username, creds[0].Password
		}
		if err := enc.Encode(out); err != nil {
			log.Fatal(err)
		}
	}
	if err := enc.Encode(map[string]int32{"tokenRequests": requests.Load()}); err != nil {
		log.Fatal(err)
	}
}
