package nodeagent

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// projectedFiles lists the files of a projected volume; service-account
// tokens are requested bound to the pod.
func (r *podRun) projectedFiles(ctx context.Context, pod *corev1.Pod, pv *corev1.ProjectedVolumeSource) ([]volumeFile, error) {
	def := mode(pv.DefaultMode)
	var files []volumeFile
	for _, s := range pv.Sources {
		var fs []volumeFile
		var err error
		switch {
		case s.ConfigMap != nil:
			fs, err = r.configMapFiles(ctx, pod.Namespace, s.ConfigMap.Name, s.ConfigMap.Items, s.ConfigMap.Optional, def)
		case s.Secret != nil:
			fs, err = r.secretFiles(ctx, pod.Namespace, s.Secret.Name, s.Secret.Items, s.Secret.Optional, def)
		case s.DownwardAPI != nil:
			fs, err = r.downwardFiles(pod, s.DownwardAPI.Items, def)
		case s.ServiceAccountToken != nil:
			var tok *authenticationv1.TokenRequest
			tok, err = r.requestToken(ctx, pod, s.ServiceAccountToken)
			if err == nil {
				fs = []volumeFile{{path: s.ServiceAccountToken.Path, data: []byte(tok.Status.Token), mode: def}}
			}
		default:
			err = fmt.Errorf("unsupported projected source (supported: configMap, secret, downwardAPI, serviceAccountToken)")
		}
		if err != nil {
			return nil, err
		}
		files = append(files, fs...)
	}
	return files, nil
}

// requestToken asks the apiserver for a token of the pod's service account
// bound to the pod.
func (r *podRun) requestToken(ctx context.Context, pod *corev1.Pod, p *corev1.ServiceAccountTokenProjection) (*authenticationv1.TokenRequest, error) {
	sa := pod.Spec.ServiceAccountName
	if sa == "" {
		sa = "default"
	}
	req := &authenticationv1.TokenRequest{Spec: authenticationv1.TokenRequestSpec{
		ExpirationSeconds: p.ExpirationSeconds,
		BoundObjectRef:    &authenticationv1.BoundObjectReference{Kind: "Pod", APIVersion: "v1", Name: pod.Name, UID: pod.UID},
	}}
	if p.Audience != "" {
		req.Spec.Audiences = []string{p.Audience}
	}
	tok, err := r.p.client.CoreV1().ServiceAccounts(pod.Namespace).CreateToken(ctx, sa, req, metav1.CreateOptions{})
	if err != nil {
		return nil, fmt.Errorf("token for service account %s: %w", sa, err)
	}
	return tok, nil
}

// refreshTokens rewrites every service-account token of the pod when 80%
// of its life has passed (or after 24 h), as kubelet does, until the pod
// stops.
func (r *podRun) refreshTokens(ctx context.Context) {
	type token struct {
		dir  string
		proj *corev1.ServiceAccountTokenProjection
		mode *int32
		due  time.Time
	}
	r.mu.Lock()
	pod := r.pod.DeepCopy()
	r.mu.Unlock()
	var tokens []*token
	for _, v := range pod.Spec.Volumes {
		if v.Projected == nil {
			continue
		}
		for _, s := range v.Projected.Sources {
			if s.ServiceAccountToken != nil {
				tokens = append(tokens, &token{dir: filepath.Join(r.dir, "volumes", v.Name), proj: s.ServiceAccountToken, mode: v.Projected.DefaultMode, due: refreshDue(s.ServiceAccountToken, time.Now())})
			}
		}
	}
	if len(tokens) == 0 {
		return
	}
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		// Wake at the earliest due token, and at least hourly.
		next := time.Now().Add(time.Hour)
		for _, t := range tokens {
			if t.due.Before(next) {
				next = t.due
			}
		}
		timer.Reset(time.Until(next))
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		}
		for _, t := range tokens {
			if time.Now().Before(t.due) {
				continue
			}
			tok, err := r.requestToken(ctx, pod, t.proj)
			if err == nil {
				err = writeAtomic(t.dir, volumeFile{path: t.proj.Path, data: []byte(tok.Status.Token), mode: mode(t.mode)})
			}
			if err != nil {
				r.p.log.Warn("refresh service-account token", "pod", r.key, "err", err)
				t.due = time.Now().Add(10 * time.Second)
				continue
			}
			t.due = refreshDueAt(tok.CreationTimestamp.Time, tok.Status.ExpirationTimestamp.Time, time.Now())
			r.p.log.Debug("service-account token refreshed", "pod", r.key, "expires", tok.Status.ExpirationTimestamp.Time)
		}
	}
}

// refreshDue is when a token just issued for p should be renewed.
func refreshDue(p *corev1.ServiceAccountTokenProjection, issued time.Time) time.Time {
	ttl := time.Hour
	if p.ExpirationSeconds != nil {
		ttl = time.Duration(*p.ExpirationSeconds) * time.Second
	}
	return refreshDueAt(issued, issued.Add(ttl), issued)
}

// refreshDueAt is 80% into the token's life, at most 24 h after now.
func refreshDueAt(issued, expires, now time.Time) time.Time {
	if issued.IsZero() {
		issued = now
	}
	due := issued.Add(expires.Sub(issued) * 8 / 10)
	if limit := now.Add(24 * time.Hour); due.After(limit) {
		due = limit
	}
	return due
}
