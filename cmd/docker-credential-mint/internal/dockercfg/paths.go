// SPDX-License-Identifier: MIT
// Copyright (c) 2026 The docker-credential-mint authors

package dockercfg

import (
	"os"
	"path/filepath"
)

// home is $HOME, else the OS's idea of it.
func home(getenv func(string) string) string {
	if h := getenv("HOME"); h != "" {
		return h
	}
	h, _ := os.UserHomeDir()
	return h
}

// DockerConfigFile is $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
func DockerConfigFile(getenv func(string) string) string {
	if d := getenv("DOCKER_CONFIG"); d != "" {
		return filepath.Join(d, "config.json")
	}
	return filepath.Join(home(getenv), ".docker", "config.json")
}

// ContainersAuthFiles are the containers/image auth files (podman, skopeo,
// buildah, CRI-O) in the order they are read: $REGISTRY_AUTH_FILE when set,
// else $XDG_RUNTIME_DIR/containers/auth.json, then
// ~/.config/containers/auth.json.
func ContainersAuthFiles(getenv func(string) string) []string {
	if f := getenv("REGISTRY_AUTH_FILE"); f != "" {
		return []string{f}
	}
	var out []string
	if d := getenv("XDG_RUNTIME_DIR"); filepath.IsAbs(d) {
		out = append(out, filepath.Join(d, "containers", "auth.json"))
	}
	return append(out, filepath.Join(home(getenv), ".config", "containers", "auth.json"))
}

// ContainersAuthFile is the file configure --containers writes:
// $REGISTRY_AUTH_FILE when set, else ~/.config/containers/auth.json, which
// podman and skopeo read and which, unlike $XDG_RUNTIME_DIR, survives a
// reboot.
func ContainersAuthFile(getenv func(string) string) string {
	files := ContainersAuthFiles(getenv)
	return files[len(files)-1]
}
