package controlplane

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
)

// loadOrWriteToken returns the admin token of the --token-auth-file at
// path, first writing one with a random token for user "admin" in group
// system:masters if there is none.
func loadOrWriteToken(path string) (string, error) {
	if data, err := os.ReadFile(path); err == nil {
		if token, _, ok := strings.Cut(string(data), ","); ok && token != "" {
			return token, nil
		}
	}
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("controlplane: generate token: %w", err)
	}
	token := hex.EncodeToString(b)
	line := token + `,admin,admin,"system:masters"` + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		return "", fmt.Errorf("controlplane: write token file: %w", err)
	}
	return token, nil
}

// writeKubeconfig writes a kubeconfig whose current context is name.
func writeKubeconfig(path, name, host string, caPEM []byte, token string) error {
	cfg := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: %[1]s
  cluster:
    server: %[2]s
    certificate-authority-data: %[3]s
users:
- name: %[1]s-admin
  user:
    token: %[4]s
contexts:
- name: %[1]s
  context:
    cluster: %[1]s
    user: %[1]s-admin
    namespace: default
current-context: %[1]s
`, name, host, base64.StdEncoding.EncodeToString(caPEM), token)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("controlplane: write kubeconfig: %w", err)
	}
	return nil
}
