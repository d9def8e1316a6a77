package auth

// SigningKey returns the secret (and, for a role session, the session
// token) of an access key of the file, for a principal of the server
// itself that calls its own API signed like any client (the ACK
// reconciler). ok is false for a key the file does not hold. The secret is
// the caller's to keep out of logs.
func (a *Access) SigningKey(accessKeyID string) (secret, sessionToken string, ok bool) {
	c, found := a.lookup(accessKeyID)
	if !found {
		return "", "", false
	}
	return c.secret, c.sessionToken, true
}
