package kubeenv

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
)

// writeTokenFile writes a --token-auth-file with one random token for user
// "admin" in group system:masters, and returns the token.
func writeTokenFile(path string) (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("kubeenv: generate token: %w", err)
	}
	token := hex.EncodeToString(b)
	line := token + `,admin,admin,"system:masters"` + "\n"
	if err := os.WriteFile(path, []byte(line), 0o600); err != nil {
		return "", fmt.Errorf("kubeenv: write token file: %w", err)
	}
	return token, nil
}

// writeKubeconfig writes a kubeconfig whose current context is ContextName.
func writeKubeconfig(path, host string, caPEM []byte, token string) error {
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
`, ContextName, host, base64.StdEncoding.EncodeToString(caPEM), token)
	if err := os.WriteFile(path, []byte(cfg), 0o600); err != nil {
		return fmt.Errorf("kubeenv: write kubeconfig: %w", err)
	}
	return nil
}
