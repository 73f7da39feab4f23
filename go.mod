module github.com/docker-credential-mint/mint

go 1.26.0

require (
	github.com/docker/docker-credential-helpers v0.9.12
	github.com/godbus/dbus/v5 v5.2.4
	github.com/zalando/go-keyring v0.2.8
	golang.org/x/oauth2 v0.37.0
	golang.org/x/sys v0.49.0
	gopkg.in/yaml.v3 v3.0.1
)

require github.com/danieljoos/wincred v1.2.3 // indirect
